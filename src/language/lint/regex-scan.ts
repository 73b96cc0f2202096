/**
 * A light scan of a regular expression (RE2 syntax) into the pieces the regex lints look at:
 * literal characters, `.`, anchors, classes, groups, quantifiers and escapes, each with its
 * offset in the pattern. It does not validate: `matches` patterns were compiled already.
 */

export type Piece =
  | { kind: 'char'; ch: string; at: number }
  | { kind: 'dot'; at: number }
  | { kind: 'start'; at: number }
  | { kind: 'end'; at: number }
  | { kind: 'class'; at: number; end: number }
  | { kind: 'open'; at: number; flags: string }
  | { kind: 'close'; at: number }
  | { kind: 'alt'; at: number }
  | { kind: 'quantifier'; at: number }
  | { kind: 'escape'; at: number; ch: string };

/** The end (exclusive) of a class starting at `i` (`[`). */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length && p[j] !== ']') {
    if (p[j] === '\\') j += 2;
    else if (p[j] === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      j = close < 0 ? j + 1 : close + 2;
    } else j++;
  }
  return Math.min(p.length, j + 1);
}

export function scan(p: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const next = p[i + 1] ?? '';
      let end = i + 2;
      if ((next === 'p' || next === 'P' || next === 'x') && p[i + 2] === '{') end = Math.max(end, p.indexOf('}', i) + 1);
      else if (next === 'p' || next === 'P') end = i + 3;
      else if (next === 'x') end = i + 4;
      out.push({ kind: 'escape', at: i, ch: next });
      i = end;
    } else if (c === '[') {
      const end = classEnd(p, i);
      out.push({ kind: 'class', at: i, end });
      i = end;
    } else if (c === '(') {
      let flags = '';
      let end = i + 1;
      if (p[i + 1] === '?') {
        const named = /^\?P?<[^>]*>/.exec(p.slice(i + 1));
        if (named) end = i + 1 + named[0].length;
        else {
          const f = /^\?([a-zA-Z-]*)[:)]/.exec(p.slice(i + 1));
          if (f) {
            flags = f[1]!;
            end = i + 1 + f[0].length;
            if (p[end - 1] === ')') {
              out.push({ kind: 'open', at: i, flags }, { kind: 'close', at: end - 1 });
              i = end;
              continue;
            }
          } else end = i + 2;
        }
      }
      out.push({ kind: 'open', at: i, flags });
      i = end;
    } else if (c === ')') {
      out.push({ kind: 'close', at: i++ });
    } else if (c === '|') {
      out.push({ kind: 'alt', at: i++ });
    } else if (c === '.') {
      out.push({ kind: 'dot', at: i++ });
    } else if (c === '^') {
      out.push({ kind: 'start', at: i++ });
    } else if (c === '$') {
      out.push({ kind: 'end', at: i++ });
    } else if (c === '*' || c === '+' || c === '?') {
      out.push({ kind: 'quantifier', at: i++ });
      if (p[i] === '?') i++;
    } else if (c === '{' && /^\{[0-9]+(?:,[0-9]*)?\}/.test(p.slice(i))) {
      const end = p.indexOf('}', i) + 1;
      out.push({ kind: 'quantifier', at: i });
      i = end;
      if (p[i] === '?') i++;
    } else {
      const cp = p.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push({ kind: 'char', ch, at: i });
      i += ch.length;
    }
  }
  return out;
}

/** The inline flags set anywhere in the pattern (`(?i)`, `(?ms:…)`), minus none: a flag set in any group counts. */
export function flagsOf(pieces: readonly Piece[]): Set<string> {
  const flags = new Set<string>();
  for (const piece of pieces) {
    if (piece.kind === 'open') for (const f of piece.flags.split('-')[0]!) flags.add(f);
  }
  return flags;
}
