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

/** The union of any number of sets (one sort). */
export function union(...sets: NumberSet[]): NumberSet {
  return normalize(sets.flatMap((x) => x.parts), sets.some((x) => x.nan));
}

const below = (a: Interval, b: Interval): boolean => a.hi < b.hi || (a.hi === b.hi && !a.hiIn && b.hiIn);

/** The intersection of two sets (one pass over both). */
export function intersection(a: NumberSet, b: NumberSet): NumberSet {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.parts.length && j < b.parts.length) {
    const x = a.parts[i]!;
    const y = b.parts[j]!;
    const lo = x.lo > y.lo ? x : y.lo > x.lo ? y : x.loIn ? y : x;
    const hi = below(x, y) ? x : y;
    out.push({ lo: lo.lo, loIn: lo.loIn, hi: hi.hi, hiIn: hi.hiIn });
    if (below(x, y)) i++;
    else j++;
  }
  return normalize(out, a.nan && b.nan);
}

/** Whether a number (NaN included) is in a set. */
export function has(s: NumberSet, x: number): boolean {
  if (Number.isNaN(x)) return s.nan;
  return s.parts.some((p) => (p.lo < x || (p.lo === x && p.loIn)) && (x < p.hi || (x === p.hi && p.hiIn)));
}

export function isEmpty(s: NumberSet): boolean {
  return s.parts.length === 0 && !s.nan;
}

/** Whether every number of `a` is in `b` (each interval of `a` within one of `b`, found by bisection). */
export function isSubset(a: NumberSet, b: NumberSet): boolean {
  if (a.nan && !b.nan) return false;
  for (const x of a.parts) {
    let lo = 0;
    let hi = b.parts.length - 1;
    // The last interval of b that starts at or before x.
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const y = b.parts[mid]!;
      if (y.lo < x.lo || (y.lo === x.lo && (y.loIn || !x.loIn))) {
        k = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    const y = k < 0 ? undefined : b.parts[k];
    if (y === undefined || y.hi < x.hi || (y.hi === x.hi && x.hiIn && !y.hiIn)) return false;
  }
  return true;
}
