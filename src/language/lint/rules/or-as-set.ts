/**
 * `x == (a || b)` compares x with the value of `a || b`, which is `a` itself (or 1, or 0),
 * not with "a or b"; and `x == 'a' || 'b'` is `(x == 'a') || 'b'`, always true. The fix
 * writes one comparison per value.
 */
import { truthy } from '../../runtime/values.js';
import type { BinaryNode, Node } from '../../syntax/ast.js';
import type { LintRule } from '../rule.js';
import { constantValue, fitted, fix, textOf, walk } from '../walk.js';

function alternatives(node: Node): Node[] {
  return node.kind === 'binary' && node.op === '||' ? [...alternatives(node.left), ...alternatives(node.right)] : [node];
}

export const orAsSet: LintRule = {
  code: 'or-as-set',
  summary: '`x == (a || b)` or `x == a || b`: `||` gives one of its operands, not a set of values',
  run(ctx) {
    for (const part of ctx.parts) {
      walk(part.tree, (node, ancestors) => {
        if (node.kind !== 'binary') return;
        const text = (n: Node): string => textOf(part.source, n);
        // x == (a || b)
        if (node.op === '==' || node.op === '!=') {
          const [subject, set] = node.right.kind === 'binary' && node.right.op === '||' ? [node.left, node.right] : node.left.kind === 'binary' && node.left.op === '||' ? [node.right, node.left] : [];
          if (!subject || !set) return;
          const values = alternatives(set);
          const joiner = node.op === '==' ? ' || ' : ' && ';
          const replacement = values.map((v) => `${text(subject)} ${node.op} ${text(v)}`).join(joiner);
          ctx.report(
            part,
            set.span,
            `\`${text(set)}\` is one value (the first of its operands that is true), not a set: ${text(subject)} is compared with that value only`,
            fix(node.span, fitted(replacement, node.op === '==' ? 1 : 2, ancestors, node, part.source)),
          );
          return;
        }
        // x == 'a' || 'b': an operand of || that is a true literal, after a comparison
        if (node.op !== '||') return;
        const parent = ancestors[ancestors.length - 1];
        if (parent?.kind === 'binary' && parent.op === '||' && part.source[node.span.start] !== '(') return; // the whole chain is looked at once, from its top
        const chain = alternatives(node);
        const first = chain[0]!;
        if (first.kind !== 'binary' || (first.op !== '==' && first.op !== '!=')) return;
        const comparison = first as BinaryNode;
        const loose = chain.slice(1).filter((n) => {
          const v = n.kind === 'literal' ? constantValue(n, ctx.functions) : undefined;
          return v !== undefined && truthy(v);
        });
        if (loose.length === 0) return;
        const subject = comparison.left;
        // One comparison per value: `x == a || x == b`, or `x != a && x != b` (neither).
        const equal = comparison.op === '==';
        const simple = chain.every((n, i) => i === 0 || loose.includes(n));
        const replacement = chain.map((n) => (loose.includes(n) ? `${text(subject)} ${comparison.op} ${text(n)}` : text(n))).join(equal ? ' || ' : ' && ');
        ctx.report(
          part,
          loose[0]!.span,
          `\`${text(loose[0]!)}\` is an operand of \`||\` on its own, not a value ${text(subject)} is compared with: it is always true, and so is the whole test`,
          equal || simple ? fix(node.span, fitted(replacement, equal ? 1 : 2, ancestors, node, part.source)) : undefined,
        );
      });
    }
  },
};
