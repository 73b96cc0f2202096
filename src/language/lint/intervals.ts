/**
 * Sets of numbers, for reasoning about comparisons with numeric literals. A value compared
 * with a number is read as a number (§4.5, §4.6): a string through its numeric text (`''`
 * and other text as 0), an array or a constant above every number (like +∞), and a NaN
 * float compares false with everything. So the domain is the extended reals [-∞, +∞] and a
 * NaN point, and a comparison `x OP c` is the set of the numeric images x can have.
 */

interface Interval {
  lo: number;
  hi: number;
  loIn: boolean;
  hiIn: boolean;
}

export interface NumberSet {
  /** Disjoint, sorted, non-empty intervals. */
  readonly parts: readonly Interval[];
  /** Whether the NaN point is in the set. */
  readonly nan: boolean;
}

function normalize(parts: Interval[], nan: boolean): NumberSet {
  const sorted = parts
    .filter((p) => p.lo < p.hi || (p.lo === p.hi && p.loIn && p.hiIn))
    .sort((a, b) => a.lo - b.lo || Number(b.loIn) - Number(a.loIn));
  const out: Interval[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && (p.lo < last.hi || (p.lo === last.hi && (p.loIn || last.hiIn)))) {
      if (p.hi > last.hi) {
        last.hi = p.hi;
        last.hiIn = p.hiIn;
      } else if (p.hi === last.hi) {
        last.hiIn = last.hiIn || p.hiIn;
      }
    } else {
      out.push({ ...p });
    }
  }
  return { parts: out, nan };
}

export const ALL: NumberSet = normalize([{ lo: -Infinity, hi: Infinity, loIn: true, hiIn: true }], true);
export const NONE: NumberSet = normalize([], false);

/** `x OP c` as a set. */
export function comparison(op: '==' | '!=' | '<' | '<=' | '>' | '>=', c: number): NumberSet {
  switch (op) {
    case '==':
      return normalize([{ lo: c, hi: c, loIn: true, hiIn: true }], false);
    case '!=':
      return complement(comparison('==', c));
    case '<':
      return normalize([{ lo: -Infinity, hi: c, loIn: true, hiIn: false }], false);
    case '<=':
      return normalize([{ lo: -Infinity, hi: c, loIn: true, hiIn: true }], false);
    case '>':
      return normalize([{ lo: c, hi: Infinity, loIn: false, hiIn: true }], false);
    case '>=':
      return normalize([{ lo: c, hi: Infinity, loIn: true, hiIn: true }], false);
  }
}

export function complement(s: NumberSet): NumberSet {
  const out: Interval[] = [];
  let lo = -Infinity;
  let loIn = true;
  for (const p of s.parts) {
    out.push({ lo, hi: p.lo, loIn, hiIn: !p.loIn });
    lo = p.hi;
    loIn = !p.hiIn;
  }
  out.push({ lo, hi: Infinity, loIn, hiIn: true });
  return normalize(out, !s.nan);
}

export function union(a: NumberSet, b: NumberSet): NumberSet {
  return normalize([...a.parts, ...b.parts], a.nan || b.nan);
}

export function intersection(a: NumberSet, b: NumberSet): NumberSet {
  return complement(union(complement(a), complement(b)));
}

export function isEmpty(s: NumberSet): boolean {
  return s.parts.length === 0 && !s.nan;
}

/** Whether every number of `a` is in `b`. */
export function isSubset(a: NumberSet, b: NumberSet): boolean {
  return isEmpty(intersection(a, complement(b)));
}
