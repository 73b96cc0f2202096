/**
 * `matches('@example.com$', sender)`, `matches('^10.0.', remote_ip)`: an unescaped `.` in a
 * pattern that otherwise spells a domain or an address matches any character
 * (`@exampleXcom`, `1080.5.1.2` too). Reported when a `.` stands between letters or digits
 * like the dot of a domain or an IP address; the fix escapes those dots.
 */
import type { LintRule } from '../rule.js';
import { scan, type Piece } from '../regex-scan.js';
import { fix, patternSpan, walk } from '../walk.js';

const WORD = /^[A-Za-z0-9-]$/;
const LABEL_START = /^[A-Za-z0-9]$/;

/** The offsets of the dots that read as a domain's dots: a letter, digit or `-` before, a letter or digit after (so `.*`, `.+`, `(.)` are left alone). */
function domainDots(pieces: readonly Piece[]): number[] {
  const dots: number[] = [];
  for (let k = 1; k < pieces.length - 1; k++) {
    const piece = pieces[k]!;
    const before = pieces[k - 1]!;
    const after = pieces[k + 1]!;
    if (piece.kind !== 'dot') continue;
    if (before.kind !== 'char' || !WORD.test(before.ch)) continue;
    if (after.kind !== 'char' || !LABEL_START.test(after.ch)) continue;
    dots.push(piece.at);
  }
  return dots;
}

export const unescapedDot: LintRule = {
  code: 'unescaped-dot',
  summary: 'an unescaped `.` in a regular expression that spells a domain or an address (it matches any character)',
  run(ctx) {
    for (const part of ctx.parts) {
      walk(part.tree, (node) => {
        if (node.kind !== 'matches') return;
        const dots = domainDots(scan(node.pattern));
        if (dots.length === 0) return;
        const span = patternSpan(node, part.source);
        const literal = part.source.slice(span.start, span.end);
        let escaped = node.pattern;
        for (const at of [...dots].reverse()) escaped = `${escaped.slice(0, at)}\\${escaped.slice(at)}`;
        const where = { start: span.start + 1 + dots[0]!, end: span.start + 2 + dots[0]! };
        ctx.report(
          part,
          where,
          `\`.\` matches any character: in '${node.pattern}' it reads as the dot of a domain or an address, which is \`\\.\``,
          fix(span, `${literal[0]}${escaped}${literal[0]}`, 'escape the dots:'),
        );
      });
    }
  },
};
