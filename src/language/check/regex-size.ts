/**
 * The size of a regular expression's program, estimated from its text before it is
 * compiled, so that a pattern too large to compile quickly is refused without compiling
 * it (RE2 and Rust's `regex` bound the compiled program in the same way). The count
 * follows RE2's own (`calcSize`): a literal character or a class is one instruction, `x*`
 * is x + 2, `x+` and `x?` are x + 1, a capture adds 2, `x{n,m}` is m copies of x and
 * m − n more, an alternation adds one per `|`. It is an upper bound for well-formed
 * patterns; what RE2 refuses (bad syntax, repeats nested past 1000) RE2 reports itself.
 */

/** What building the pattern costs beyond its instructions. */
export interface RegexSize {
  /** RE2 instructions, saturating at Infinity. */
  instructions: number;
  /** Unicode classes written in the pattern (`\pL`, `\p{Greek}`, `\PN`): each is costly to build. */
  unicodeClasses: number;
  /** The largest product of nested counted repeats (RE2 refuses more than 1000). */
  repeatProduct: number;
}

interface Group {
  /** Completed alternatives, summed. */
  alternatives: number;
  /** Number of `|` seen. */
  bars: number;
  /** The current alternative. */
  sequence: number;
  /** The last atom of the sequence (what a quantifier applies to). */
  last: number;
  /** Its repeat product. */
  lastProduct: number;
  capture: boolean;
  /** The largest repeat product inside the group so far. */
  product: number;
}

const newGroup = (capture: boolean): Group => ({ alternatives: 0, bars: 0, sequence: 0, last: 0, lastProduct: 1, capture, product: 1 });

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** `{n}`, `{n,}` or `{n,m}` at `i`: its bounds and end, or null when the brace is a literal. */
function countedRepeat(p: string, i: number): { min: number; max: number; end: number } | null {
  let j = i + 1;
  const start = j;
  while (isDigit(p[j])) j++;
  if (j === start || j - start > 4) return null;
  const min = Number(p.slice(start, j));
  let max = min;
  if (p[j] === ',') {
    j++;
    const from = j;
    while (isDigit(p[j])) j++;
    if (j - from > 4) return null;
    max = j === from ? -1 : Number(p.slice(from, j));
  }
  if (p[j] !== '}') return null;
  return { min, max, end: j + 1 };
}

/** The index after a class `[...]` that starts at `i`. */
function classEnd(p: string, i: number, onUnicode: () => void): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length && p[j] !== ']') {
    if (p[j] === '\\') j = escapeEnd(p, j, onUnicode);
    else if (p[j] === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      j = close < 0 ? j + 1 : close + 2;
    } else j++;
  }
  return j + 1;
}

/** The index after an escape that starts at `i` (`\x`, `\x{…}`, `\pL`, `\p{…}`, …). */
function escapeEnd(p: string, i: number, onUnicode: () => void): number {
  const c = p[i + 1];
  if (c === 'p' || c === 'P') {
    onUnicode();
    if (p[i + 2] === '{') {
      const close = p.indexOf('}', i + 3);
      return close < 0 ? p.length : close + 1;
    }
    return i + 3;
  }
  if (c === 'x' && p[i + 2] === '{') {
    const close = p.indexOf('}', i + 3);
    return close < 0 ? p.length : close + 1;
  }
  if (c === 'x') return i + 4;
  return i + 2;
}

export function regexSize(pattern: string): RegexSize {
  const p = pattern;
  let unicodeClasses = 0;
  const onUnicode = (): void => {
    unicodeClasses++;
  };
  const stack: Group[] = [newGroup(true)];
  let top = stack[0]!;
  let quantified = false;
  const atom = (size: number, product = 1): void => {
    top.sequence += size;
    top.last = size;
    top.lastProduct = product;
    top.product = Math.max(top.product, product);
    quantified = false;
  };
  const repeat = (size: number, product: number): void => {
    top.sequence += size - top.last;
    top.last = size;
    top.lastProduct = product;
    top.product = Math.max(top.product, product);
    quantified = true;
  };
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      if (p[i + 1] === 'Q') {
        // \Q…\E: every character a literal.
        const close = p.indexOf('\\E', i + 2);
        const end = close < 0 ? p.length : close;
        for (let k = i + 2; k < end; k++) atom(1);
        i = close < 0 ? p.length : close + 2;
        continue;
      }
      i = escapeEnd(p, i, onUnicode);
      atom(1);
    } else if (c === '[') {
      i = classEnd(p, i, onUnicode);
      atom(1);
    } else if (c === '(') {
      let capture = true;
      let j = i + 1;
      if (p[j] === '?') {
        if (p[j + 1] === 'P' || p[j + 1] === '<') {
          const close = p.indexOf('>', j);
          j = close < 0 ? p.length : close + 1;
        } else {
          // Flags: `(?i)` changes them and opens nothing; `(?i:` opens a group that does not capture.
          let k = j + 1;
          while (k < p.length && p[k] !== ')' && p[k] !== ':') k++;
          if (p[k] === ')') {
            i = k + 1;
            continue;
          }
          j = k + 1;
          capture = false;
        }
      }
      stack.push(newGroup(capture));
      top = stack[stack.length - 1]!;
      quantified = false;
      i = j;
    } else if (c === ')' && stack.length > 1) {
      const g = stack.pop()!;
      top = stack[stack.length - 1]!;
      atom(g.alternatives + g.sequence + g.bars + (g.capture ? 2 : 0), g.product);
      i++;
    } else if (c === '|') {
      top.alternatives += top.sequence;
      top.bars++;
      top.sequence = 0;
      top.last = 0;
      top.lastProduct = 1;
      quantified = false;
      i++;
    } else if ((c === '*' || c === '+' || c === '?') && !quantified) {
      repeat(top.last + (c === '*' ? 2 : 1), top.lastProduct);
      i++;
    } else if ((c === '?' || c === '+') && quantified) {
      // A lazy (or possessive-looking) modifier of the quantifier before it.
      i++;
    } else if (c === '{' && countedRepeat(p, i) !== null) {
      const r = countedRepeat(p, i)!;
      const count = r.max < 0 ? r.min : r.max;
      const size = r.max < 0 ? (r.min === 0 ? top.last + 2 : 1 + r.min * top.last) : r.max * top.last + (r.max - r.min);
      repeat(size, top.lastProduct * Math.max(1, count));
      i = r.end;
    } else {
      // One code point (a surrogate pair is one).
      const code = p.codePointAt(i)!;
      i += code > 0xffff ? 2 : 1;
      atom(1);
    }
  }
  while (stack.length > 1) {
    const g = stack.pop()!;
    top = stack[stack.length - 1]!;
    atom(g.alternatives + g.sequence + g.bars + (g.capture ? 2 : 0), g.product);
  }
  const g = stack[0]!;
  return { instructions: g.alternatives + g.sequence + g.bars + 2, unicodeClasses, repeatProduct: g.product };
}
