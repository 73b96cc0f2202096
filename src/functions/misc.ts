/** Miscellaneous functions (SPEC §10, "Misc"). */
import { Float, truthy } from '../values.js';
import type { FunctionSpec } from './types.js';

const pure = { pure: true, async: false } as const;
const predicate = { pure: true, async: false, boolean: true } as const;

export const MISC_FUNCTIONS: FunctionSpec[] = [
  { name: 'is_empty', arity: 1, ...predicate, fn: (v) => (v === '' || (Array.isArray(v) && v.length === 0) ? 1 : 0) },
  { name: 'is_number', arity: 1, ...predicate, fn: (v) => (typeof v === 'number' || v instanceof Float ? 1 : 0) },
  { name: 'if_then', arity: 3, ...pure, fn: (c, a, b) => (truthy(c) ? a : b) },
];
