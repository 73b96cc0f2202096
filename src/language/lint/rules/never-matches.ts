/**
 * Tests that can never be true: a pattern with a character after `$` or before `^` (without
 * the `m` flag), and a lowercase subject (`name_lower`, `value_lower`, `to_lowercase(x)`)
 * matched or compared with text that has capitals (without the `i` flag).
 */
import type { Node } from '../../syntax/ast.js';
import { quote } from '../../syntax/printer.js';
import type { LintRule } from '../rule.js';
import { flagsOf, scan, type Piece } from '../regex-scan.js';
import { fix, isString, patternSpan, walk } from '../walk.js';

/** A value whose letters are all lowercase: a `…_lower` variable or a `to_lowercase` call. */
const isLowercase = (n: Node): boolean => (n.kind === 'variable' && n.name.endsWith('_lower')) || (n.kind === 'call' && n.name === 'to_lowercase');

/** Why a pattern can never match, with the offset of the fault, or undefined. */
function impossible(pieces: readonly Piece[], lowercaseSubject: boolean): { why: string; at: number } | undefined {
  const flags = flagsOf(pieces);
  if (!flags.has('m')) {
    for (let k = 0; k < pieces.length; k++) {
      const piece = pieces[k]!;
      const next = pieces[k + 1];
      const prev = pieces[k - 1];
      if (piece.kind === 'end' && next !== undefined && (next.kind === 'char' || next.kind === 'dot' || next.kind === 'class')) {
        return { why: 'a character after `$` (the end of the text)', at: next.at };
      }
      if (piece.kind === 'start' && prev !== undefined && (prev.kind === 'char' || prev.kind === 'dot' || prev.kind === 'class')) {
        return { why: 'a character before `^` (the start of the text)', at: piece.at };
      }
    }
  }
  if (lowercaseSubject && !flags.has('i')) {
    const capital = pieces.find((p) => p.kind === 'char' && p.ch !== p.ch.toLowerCase());
    if (capital) return { why: `the capital \`${(capital as { ch: string }).ch}\`, and the subject is lowercase`, at: capital.at };
  }
  return undefined;
}

const TEXT_TESTS = new Set(['contains', 'starts_with', 'ends_with']);

export const neverMatches: LintRule = {
  code: 'never-matches',
  summary: 'a pattern or comparison that can never be true (text after `$`, capitals against a lowercase value)',
  run(ctx) {
    for (const part of ctx.parts) {
      walk(part.tree, (node) => {
        if (node.kind === 'matches') {
          const found = impossible(scan(node.pattern), isLowercase(node.value));
          if (!found) return;
          const span = patternSpan(node, part.source);
          const at = span.start + 1 + found.at;
          const lower = found.why.includes('lowercase') ? fix(span, `${part.source[span.start]}(?i)${node.pattern}${part.source[span.start]}`, 'ignore case:') : undefined;
          ctx.report(part, { start: at, end: at + 1 }, `this pattern can never match: ${found.why}`, lower);
          return;
        }
        let subject: Node | undefined;
        let text: Node | undefined;
        if (node.kind === 'binary' && (node.op === '==' || node.op === '!=')) {
          [subject, text] = isLowercase(node.left) ? [node.left, node.right] : [node.right, node.left];
        } else if (node.kind === 'call' && TEXT_TESTS.has(node.name) && node.args.length === 2) {
          [subject, text] = node.args as [Node, Node];
        } else {
          return;
        }
        if (!isLowercase(subject) || !isString(text) || text.value === text.value.toLowerCase()) return;
        const verb = node.kind === 'binary' ? (node.op === '==' ? 'never equal' : 'always different') : 'never found';
        ctx.report(part, text.span, `'${text.value}' has capitals and the value is lowercase: it is ${verb}`, fix(text.span, quote(text.value.toLowerCase())));
      });
    }
  },
};
