/**
 * A set of values under the language's equality (SPEC §4.5), for `dedup` and
 * `is_intersect` in linear time. Equality is not transitive across kinds (`'abc' == 0` and
 * `'0' == 0`, but `'abc' != '0'`), so a value is looked up by what it may equal: a string by
 * its text and by its number, a number by its value among numbers and among the numbers of
 * strings. Lists are grouped by the numbers of their items (equal lists always share them),
 * then found by their exact items; only lists that mix strings and numbers differently at
 * the same places are compared one by one, and those comparisons are bounded.
 */
import { EvaluationError } from '../errors/errors.js';
import { Constant, equals, Float, numValue, parseNumber, type Value } from '../runtime/values.js';

/** Most list-to-list comparisons one index makes (lists of lists mixing strings and numbers). */
const MAX_LIST_COMPARISONS = 1_000_000;

interface ListGroup {
  /** The exact form of every list of the group. */
  exact: Set<string>;
  /** The group's lists by the kinds of their items. */
  byKinds: Map<string, Array<readonly Value[]>>;
}

const numberOf = (s: string): number => numValue(parseNumber(s));

/** What a value's equals share: the numbers of its scalars (null when a NaN makes it equal to nothing). */
function numbersKey(v: Value): string | null {
  if (typeof v === 'string') return 'n' + numberOf(v);
  if (typeof v === 'number') return 'n' + v;
  if (v instanceof Float) return v.value === v.value ? 'n' + v.value : null;
  if (v instanceof Constant) return 'c' + v.name;
  let out = '[';
  for (const item of v) {
    const k = numbersKey(item);
    if (k === null) return null;
    out += k + ',';
  }
  return out + ']';
}

/** The exact form: kinds, texts and numbers (lists equal item for item, of the same kinds, share it). */
function exactKey(v: Value): string {
  if (typeof v === 'string') return 's' + v.length + ':' + v;
  if (typeof v === 'number') return 'n' + v;
  if (v instanceof Float) return 'n' + v.value;
  if (v instanceof Constant) return 'c' + v.name;
  let out = '[';
  for (const item of v) out += exactKey(item) + ',';
  return out + ']';
}

/** The kinds of the items, at every depth. */
function kindsKey(v: Value): string {
  if (typeof v === 'string') return 's';
  if (typeof v === 'number' || v instanceof Float) return 'n';
  if (v instanceof Constant) return 'c';
  let out = '[';
  for (const item of v) out += kindsKey(item);
  return out + ']';
}

export class EqualityIndex {
  private readonly texts = new Set<string>();
  private readonly numbers = new Set<number>();
  private readonly numbersOfTexts = new Set<number>();
  private readonly constants = new Set<Constant>();
  private readonly lists = new Map<string, ListGroup>();
  private comparisons = 0;

  /** Whether some value added so far equals `v`. */
  has(v: Value): boolean {
    if (typeof v === 'string') return this.texts.has(v) || this.numbers.has(numberOf(v));
    if (typeof v === 'number') return this.numbers.has(v) || this.numbersOfTexts.has(v);
    if (v instanceof Float) return v.value === v.value && (this.numbers.has(v.value) || this.numbersOfTexts.has(v.value));
    if (v instanceof Constant) return this.constants.has(v);
    const key = numbersKey(v);
    const group = key === null ? undefined : this.lists.get(key);
    if (group === undefined) return false;
    if (group.exact.has(exactKey(v))) return true;
    // Same numbers, not the same items: only a list with a string where `v` has a number
    // (or the reverse) can still be equal.
    const kinds = kindsKey(v);
    for (const [k, lists] of group.byKinds) {
      if (k === kinds) continue;
      for (const list of lists) {
        if (++this.comparisons > MAX_LIST_COMPARISONS) {
          throw new EvaluationError('limit', `more than ${MAX_LIST_COMPARISONS} comparisons of lists mixing strings and numbers`);
        }
        if (equals(list, v)) return true;
      }
    }
    return false;
  }

  add(v: Value): void {
    if (typeof v === 'string') {
      this.texts.add(v);
      this.numbersOfTexts.add(numberOf(v));
    } else if (typeof v === 'number') {
      this.numbers.add(v);
    } else if (v instanceof Float) {
      if (v.value === v.value) this.numbers.add(v.value);
    } else if (v instanceof Constant) {
      this.constants.add(v);
    } else {
      const key = numbersKey(v);
      if (key === null) return;
      let group = this.lists.get(key);
      if (group === undefined) {
        group = { exact: new Set(), byKinds: new Map() };
        this.lists.set(key, group);
      }
      group.exact.add(exactKey(v));
      const kinds = kindsKey(v);
      const same = group.byKinds.get(kinds);
      if (same === undefined) group.byKinds.set(kinds, [v]);
      else same.push(v);
    }
  }
}
