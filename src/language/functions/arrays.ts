/** Array functions (SPEC §10, "Arrays"). */
import { equals, sortOrder, toArray, truthy, type Value } from '../runtime/values.js';
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
  if (uniformKind(items)) return [...new Set(items)];
  const kept: Value[] = [];
  for (const item of items) if (!kept.some((k) => equals(k, item))) kept.push(item);
  return kept;
}

function contains(items: readonly Value[], needle: Value): boolean {
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
    return x.some((item) => contains(y, item)) ? 1 : 0;
  }
  if (aa) return contains(a as readonly Value[], b) ? 1 : 0;
  if (ba) return contains(b as readonly Value[], a) ? 1 : 0;
  return 0;
}


export const ARRAY_FUNCTIONS: FunctionSpec[] = [
  { name: 'count', arity: 1, ...PURE, fn: (v) => (Array.isArray(v) ? v.length : v === '' ? 0 : 1) },
  {
    name: 'sort',
    arity: 2,
    ...PURE,
    fn: (v, ascending) => {
      const items = [...toArray(v)];
      return truthy(ascending) ? items.sort(sortOrder) : items.sort((x, y) => sortOrder(y, x));
    },
  },
  { name: 'dedup', arity: 1, ...PURE, fn: dedup },
  { name: 'winnow', arity: 1, ...PURE, fn: (v) => (Array.isArray(v) ? (v as readonly Value[]).filter((item) => item !== '') : v) },
  { name: 'is_intersect', arity: 2, ...PREDICATE, fn: isIntersect },
];
