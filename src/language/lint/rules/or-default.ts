/**
 * `sender_domain || 'localhost'` as a value: `||` gives its first operand when that is true,
 * but 1 (not the second operand) otherwise, so the "default" is never the result.
 */
import { truthy } from '../../runtime/values.js';
import type { Node } from '../../syntax/ast.js';
import { BINARY_OPERATORS } from '../../operators.js';
import type { LintRule } from '../rule.js';
import { constantValue, fix, textOf, walk } from '../walk.js';

/** Whether a node always gives 1 or 0 (then `a || b` is a test, not a default). */
const isTest = (n: Node): boolean => n.kind === 'matches' || (n.kind === 'unary' && n.op === '!') || (n.kind === 'binary' && BINARY_OPERATORS[n.op].boolean !== false);

export const orDefault: LintRule = {
  code: 'or-default',
  summary: "`value || 'default'` as a result: `||` gives 1, not the default, when the value is empty",
  run(ctx) {
    for (const part of ctx.results) {
      walk(part.tree, (node, ancestors) => {
        if (node.kind !== 'binary' || node.op !== '||') return;
        const parent = ancestors[ancestors.length - 1];
        const asValue = parent === undefined || (parent.kind === 'binary' && parent.op === '+') || (parent.kind === 'array' && ancestors.length === 1);
        if (!asValue || isTest(node.left)) return;
        const fallback = constantValue(node.right, ctx.functions);
        if (fallback === undefined || !truthy(fallback) || fallback === 1) return;
        const text = (n: Node): string => textOf(part.source, n);
        ctx.report(
          part,
          node.span,
          `when \`${text(node.left)}\` is empty this gives 1, not ${text(node.right)}: \`||\` yields its first operand or 1 or 0`,
          fix(node.span, `if_then(${text(node.left)}, ${text(node.left)}, ${text(node.right)})`),
        );
      });
    }
  },
};
