/** Array functions (SPEC §10, "Arrays"). */
import { builtList, checkListLength } from '../runtime/sizes.js';
import { equals, sortOrder, toArray, truthy, type Value } from '../runtime/values.js';
import { EqualityIndex } from './equality-index.js';
import { PREDICATE, PURE, type FunctionSpec } from './types.js';

/** True when every element is a string, or every element an integer: plain identity then decides equality. */
function uniformKind(items: readonly Value[]): boolean {
  if (items.length === 0) return true;
  const kind = typeof items[0];
  if (kind !== 'string' && kind !== 'number') return false;
  for (const item of items) if (typeof item !== kind) return false;
  return true;
}

function dedup(v: Value): Value {
  const items = toArray(v);
  if (uniformKind(items)) return builtList([...new Set(items)]);
  const seen = new EqualityIndex();
  const kept: Value[] = [];
  for (const item of items) {
    if (seen.has(item)) continue;
    seen.add(item);
    kept.push(item);
  }
  return builtList(kept);
}

function containsItem(items: readonly Value[], needle: Value): boolean {
  for (const item of items) if (equals(item, needle)) return true;
  return false;
}

function isIntersect(a: Value, b: Value): Value {
  const aa = Array.isArray(a);
  const ba = Array.isArray(b);
  if (aa && ba) {
    const x = a as readonly Value[];
    const y = b as readonly Value[];
    if (typeof x[0] === 'string' && uniformKind(x) && uniformKind(y) && typeof y[0] === 'string') {
      const set = new Set(x);
      return y.some((item) => set.has(item)) ? 1 : 0;
    }
    const index = new EqualityIndex();
    for (const item of y) index.add(item);
    return x.some((item) => index.has(item)) ? 1 : 0;
  }
  if (aa) return containsItem(a as readonly Value[], b) ? 1 : 0;
  if (ba) return containsItem(b as readonly Value[], a) ? 1 : 0;
  return 0;
}

function sort(v: Value, ascending: Value): Value {
  const list = toArray(v);
  checkListLength(list.length);
  const items = [...list];
  return truthy(ascending) ? items.sort(sortOrder) : items.sort((x, y) => sortOrder(y, x));
}

export const ARRAY_FUNCTIONS: FunctionSpec[] = [
  { name: 'count', arity: 1, ...PURE, fn: (v) => (Array.isArray(v) ? v.length : v === '' ? 0 : 1) },
  { name: 'sort', arity: 2, ...PURE, builds: 'sorted', fn: sort },
  { name: 'dedup', arity: 1, ...PURE, builds: 'list', indexes: true, fn: dedup },
  { name: 'winnow', arity: 1, ...PURE, builds: 'list', fn: (v) => (Array.isArray(v) ? builtList((v as readonly Value[]).filter((item) => item !== '')) : v) },
  { name: 'is_intersect', arity: 2, ...PREDICATE, indexes: true, fn: isIntersect },
];
