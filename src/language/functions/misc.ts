/** Miscellaneous functions (SPEC §10, "Misc"). */
import { Float, truthy } from '../runtime/values.js';
import { PREDICATE, PURE, type FunctionSpec } from './types.js';


export const MISC_FUNCTIONS: FunctionSpec[] = [
  { name: 'is_empty', arity: 1, ...PREDICATE, fn: (v) => (v === '' || (Array.isArray(v) && v.length === 0) ? 1 : 0) },
  { name: 'is_number', arity: 1, ...PREDICATE, fn: (v) => (typeof v === 'number' || v instanceof Float ? 1 : 0) },
  { name: 'if_then', arity: 3, ...PURE, fn: (c, a, b) => (truthy(c) ? a : b) },
];
