/**
 * `matches('jane@example.org', '^jane@')`: the subject given as the pattern and the pattern
 * as the subject. (A variable as the pattern, `matches(rcpt, '^x')`, does not compile: its
 * compile error carries the same fix.)
 */
import type { LintRule } from '../rule.js';
import { fix, isString, patternSpan, textOf, walk } from '../walk.js';

/** Regex syntax that plain text hardly ever holds: anchors, classes, groups, quantifiers, escapes. */
const REGEX_SYNTAX = /[\^$[\]()*+?{}|\\]/;

export const swappedMatches: LintRule = {
  code: 'swapped-matches',
  summary: '`matches` with the subject first and the pattern second',
  run(ctx) {
    for (const part of ctx.parts) {
      walk(part.tree, (node) => {
        if (node.kind !== 'matches' || !isString(node.value)) return;
        if (REGEX_SYNTAX.test(node.pattern) || !REGEX_SYNTAX.test(node.value.value)) return;
        const pattern = textOf(part.source, { span: patternSpan(node, part.source) });
        ctx.report(
          part,
          node.value.span,
          `the subject '${node.value.value}' looks like a pattern and the pattern '${node.pattern}' like a subject: \`matches\` takes the pattern first`,
          fix(node.span, `matches(${textOf(part.source, node.value)}, ${pattern})`, 'put the pattern first:'),
        );
      });
    }
  },
};
