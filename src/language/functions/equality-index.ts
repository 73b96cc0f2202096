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

const numberOf = (s: string): number => numValue(parseNumber(s));

/**
 * The three keys of a list: what its equals share (the numbers of its scalars; null when a
 * NaN makes it equal to nothing), its exact form (kinds, texts and numbers: lists equal item
 * for item, of the same kinds, share it), and the kinds of its items. Made in one walk.
 */
interface ListKeys {
  numbers: string | null;
  exact: string;
  kinds: string;
}

function listKeys(list: readonly Value[]): ListKeys {
  let numbers: string | null = '[';
  let exact = '[';
  let kinds = '[';
  for (const v of list) {
    if (typeof v === 'string') {
      if (numbers !== null) numbers += 'n' + numberOf(v) + ',';
      exact += 's' + v.length + ':' + v + ',';
      kinds += 's';
    } else if (typeof v === 'number' || v instanceof Float) {
      const n = typeof v === 'number' ? v : v.value;
      if (n !== n) numbers = null;
      else if (numbers !== null) numbers += 'n' + n + ',';
      exact += 'n' + n + ',';
      kinds += 'n';
    } else if (v instanceof Constant) {
      if (numbers !== null) numbers += 'c' + v.name + ',';
      exact += 'c' + v.name + ',';
      kinds += 'c';
    } else {
      const inner = listKeys(v);
      if (inner.numbers === null) numbers = null;
      else if (numbers !== null) numbers += inner.numbers + ',';
      exact += inner.exact + ',';
      kinds += inner.kinds;
    }
  }
  return { numbers: numbers === null ? null : numbers + ']', exact: exact + ']', kinds: kinds + ']' };
}

export class EqualityIndex {
  private readonly texts = new Set<string>();
  private readonly numbers = new Set<number>();
  private readonly numbersOfTexts = new Set<number>();
  private readonly constants = new Set<Constant>();
  /** The exact form of every list added. */
  private readonly exactLists = new Set<string>();
  /** The kinds of the lists added, by their numbers: one, or several. */
  private readonly kindsByNumbers = new Map<string, string | Set<string>>();
  /** The lists added, by numbers and kinds. */
  private readonly lists = new Map<string, Array<readonly Value[]>>();
  private comparisons = 0;

  /** Whether some value added so far equals `v`. */
  has(v: Value): boolean {
    if (typeof v === 'string') return this.texts.has(v) || this.numbers.has(numberOf(v));
    if (typeof v === 'number') return this.numbers.has(v) || this.numbersOfTexts.has(v);
    if (v instanceof Float) return v.value === v.value && (this.numbers.has(v.value) || this.numbersOfTexts.has(v.value));
    if (v instanceof Constant) return this.constants.has(v);
    const keys = listKeys(v);
    if (keys.numbers === null) return false;
    if (this.exactLists.has(keys.exact)) return true;
    // Same numbers, not the same items: only a list with a string where `v` has a number
    // (or the reverse) can still be equal.
    const kinds = this.kindsByNumbers.get(keys.numbers);
    if (kinds === undefined || kinds === keys.kinds) return false;
    for (const k of typeof kinds === 'string' ? [kinds] : kinds) {
      if (k === keys.kinds) continue;
      for (const list of this.lists.get(keys.numbers + k)!) {
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
      const keys = listKeys(v);
      if (keys.numbers === null) return;
      this.exactLists.add(keys.exact);
      const kinds = this.kindsByNumbers.get(keys.numbers);
      if (kinds === undefined) this.kindsByNumbers.set(keys.numbers, keys.kinds);
      else if (typeof kinds === 'string') {
        if (kinds !== keys.kinds) this.kindsByNumbers.set(keys.numbers, new Set([kinds, keys.kinds]));
      } else kinds.add(keys.kinds);
      const key = keys.numbers + keys.kinds;
      const same = this.lists.get(key);
      if (same === undefined) this.lists.set(key, [v]);
      else same.push(v);
    }
  }
}
