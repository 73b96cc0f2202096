/**
 * Native regular expressions for the patterns that provably behave as RE2 does and run in
 * linear time (SPEC §8 requires both). A pattern outside this subset, and every pattern of
 * the reference and metered closures, is matched by re2js.
 *
 * The subset, checked on the pattern's text (anything else is refused):
 * - it starts with `^` and may end with `$` (no multi-line flag: text start and end);
 * - the rest is a sequence of printable ASCII characters (a syntax character escaped with
 *   `\`), `.`, classes `[…]`/`[^…]` of printable ASCII characters and ranges, and groups
 *   `(…)` of such sequences; no alternation, no flags, no other escapes (`\d`, `\w`, `\s`,
 *   `\b`, `\pN` and case folding differ between the engines), no named or non-capturing
 *   groups, no counted repetition, no lazy quantifier;
 * - a quantifier (`*`, `+`, `?`, greedy) applies to one character, `.` or class, never to
 *   a group;
 * - the set a quantifier repeats is disjoint from every character that may follow it.
 *
 * Why it is the same: without alternation and with greedy quantifiers only, both engines
 * choose among the ways to match in the same priority order (leading-first, each quantifier
 * taking as much as it can), and every group takes part in every match; `.` is written
 * `[^\n]` and the `u` flag makes it and negated classes match code points, as RE2 does.
 * Why it is linear: anchored, the search starts once; a repeated set disjoint from what
 * follows it is always taken whole (a shorter take leaves a character of the set where the
 * rest must start with another), so each give-back fails at once and each character is
 * read a bounded number of times.
 */

/** A set of characters: ASCII ones in a bitmap, and whether the set is their complement (over all code points). */
interface CharSet {
  bits: [number, number, number, number];
  negated: boolean;
}

interface Item {
  set: CharSet;
  quantifier: '' | '*' | '+' | '?';
}

/** The native pattern and its number of groups, or undefined outside the subset. */
export interface NativePattern {
  regex: RegExp;
  groups: number;
}

const SYNTAX = new Set('\\^$.|?*+()[]{}/'.split(''));
const NEWLINE = 10;

const emptySet = (): CharSet => ({ bits: [0, 0, 0, 0], negated: false });
function add(set: CharSet, code: number): void {
  set.bits[code >> 5]! |= 1 << (code & 31);
}
const printable = (code: number): boolean => code >= 0x20 && code <= 0x7e;

/** Whether no character belongs to both sets. */
function disjoint(a: CharSet, b: CharSet): boolean {
  if (a.negated && b.negated) return false;
  if (!a.negated && !b.negated) return a.bits.every((w, i) => (w & b.bits[i]!) === 0);
  // One positive set must lie within what the negated one leaves out.
  const [pos, neg] = a.negated ? [b, a] : [a, b];
  return pos.bits.every((w, i) => (w & ~neg.bits[i]!) === 0);
}

/** Whether a quantifier (or the start of a counted one) is at `i`. */
const quantifierAt = (p: string, i: number): boolean => i < p.length && '*+?{'.includes(p[i]!);

/** Thrown (not an Error: no stack trace to capture) when the pattern leaves the subset. */
const REFUSED = Symbol('outside the native subset');
const refuse = (): never => {
  throw REFUSED;
};

/** Parses the subset, giving the flat item sequence, the native source and the group count. */
class SubsetParser {
  private i = 0;
  readonly items: Item[] = [];
  groups = 0;
  out = '';

  constructor(private readonly p: string) {}

  parse(): void {
    if (this.p[0] !== '^') refuse();
    this.i = 1;
    this.out = '^';
    this.sequence(0);
    if (this.p[this.i] === '$' && this.i === this.p.length - 1) {
      this.out += '$';
      this.i++;
    }
    if (this.i !== this.p.length) refuse();
  }

  private sequence(depth: number): void {
    while (this.i < this.p.length) {
      const ch = this.p[this.i]!;
      if (ch === ')') {
        if (depth === 0) refuse();
        return;
      }
      if (ch === '$') return;
      if (ch === '(') {
        if (this.p[this.i + 1] === '?') refuse();
        this.i++;
        this.groups++;
        this.out += '(';
        this.sequence(depth + 1);
        if (this.p[this.i] !== ')') refuse();
        this.i++;
        this.out += ')';
        if (quantifierAt(this.p, this.i)) refuse(); // a quantified group
        continue;
      }
      const set = this.atom();
      const q = this.p[this.i];
      let quantifier: Item['quantifier'] = '';
      if (q === '*' || q === '+' || q === '?') {
        quantifier = q;
        this.i++;
        this.out += q;
        if (quantifierAt(this.p, this.i)) refuse(); // lazy, possessive or stacked
      } else if (q === '{') refuse();
      this.items.push({ set, quantifier });
    }
  }

  /** One character, `.` or class, written to the native source. */
  private atom(): CharSet {
    const ch = this.p[this.i]!;
    const code = ch.charCodeAt(0);
    if (ch === '.') {
      this.i++;
      this.out += '[^\\n]';
      const set = emptySet();
      add(set, NEWLINE);
      set.negated = true;
      return set;
    }
    if (ch === '[') return this.charClass();
    if (ch === '\\') {
      const next = this.p[this.i + 1];
      if (next === undefined || !SYNTAX.has(next)) refuse();
      this.i += 2;
      this.out += '\\' + next;
      const set = emptySet();
      add(set, next!.charCodeAt(0));
      return set;
    }
    if (!printable(code) || SYNTAX.has(ch)) refuse();
    this.i++;
    this.out += ch;
    const set = emptySet();
    add(set, code);
    return set;
  }

  private charClass(): CharSet {
    const set = emptySet();
    this.i++;
    let text = '[';
    if (this.p[this.i] === '^') {
      set.negated = true;
      text += '^';
      this.i++;
    }
    const member = (): number => {
      const ch = this.p[this.i];
      if (ch === undefined) return refuse();
      if (ch === '\\') {
        const next = this.p[this.i + 1];
        if (next === undefined || !'\\]-.'.includes(next)) refuse();
        this.i += 2;
        text += '\\' + next;
        return next!.charCodeAt(0);
      }
      const code = ch.charCodeAt(0);
      if (!printable(code) || '[]^-'.includes(ch)) refuse();
      this.i++;
      text += ch;
      return code;
    };
    let count = 0;
    while (this.p[this.i] !== ']') {
      const from = member();
      if (this.p[this.i] === '-' && this.p[this.i + 1] !== ']') {
        this.i++;
        text += '-';
        const to = member();
        if (to < from) refuse();
        for (let c = from; c <= to; c++) add(set, c);
      } else add(set, from);
      count++;
    }
    if (count === 0) refuse();
    this.i++;
    this.out += text + ']';
    return set;
  }
}

/** Whether each quantified item's set is disjoint from every character that may follow it. */
function deterministic(items: readonly Item[]): boolean {
  for (let i = 0; i < items.length; i++) {
    if (items[i]!.quantifier === '') continue;
    for (let j = i + 1; j < items.length; j++) {
      if (!disjoint(items[i]!.set, items[j]!.set)) return false;
      const q = items[j]!.quantifier;
      if (q !== '*' && q !== '?') break; // the first item that must match ends what may follow
    }
  }
  return true;
}

/** The native form of a pattern in the subset, or undefined (then re2js matches it). */
export function nativePattern(pattern: string): NativePattern | undefined {
  const parser = new SubsetParser(pattern);
  try {
    parser.parse();
  } catch (e) {
    if (e === REFUSED) return undefined;
    throw e;
  }
  if (!deterministic(parser.items)) return undefined;
  return { regex: new RegExp(parser.out, 'u'), groups: parser.groups };
}
