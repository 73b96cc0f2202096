/**
 * The function table: every built-in, one row each. The checker reads names and arities,
 * the optimiser purity, the compiler the implementations. (The special forms `matches`,
 * `system` and `metric` are rows of their own: check/special-forms.ts.)
 */
import { ARRAY_FUNCTIONS } from './arrays.js';
import { EMAIL_FUNCTIONS } from './email.js';
import { IP_FUNCTIONS } from './ip.js';
import { LOOKUP_FUNCTIONS } from './lookups.js';
import { MISC_FUNCTIONS } from './misc.js';
import { TEXT_FUNCTIONS } from './text.js';
import type { FunctionSpec } from './types.js';

export type { FunctionSpec } from './types.js';

export const BUILTIN_FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map(
  [...TEXT_FUNCTIONS, ...ARRAY_FUNCTIONS, ...EMAIL_FUNCTIONS, ...IP_FUNCTIONS, ...MISC_FUNCTIONS, ...LOOKUP_FUNCTIONS].map((f) => [f.name, f]),
);
