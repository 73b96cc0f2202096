/**
 * The largest values an evaluation builds. Every string or list an operator or a built-in
 * function makes is checked where it is made, by the fast and the reference closures alike,
 * so a value is the same whichever closures run; past a limit the evaluation fails with an
 * `EvaluationError` of code `limit`. (Values the host passes in are not limited here: they
 * are the host's to bound.)
 */
import { EvaluationError } from '../errors/errors.js';

/** Most characters (UTF-16 code units) of a string built during an evaluation: 1 MiB. */
export const MAX_STRING_LENGTH = 1 << 20;
/** Most items of a list built during an evaluation. */
export const MAX_LIST_LENGTH = 100_000;

export function stringTooLong(): never {
  throw new EvaluationError('limit', `a string of more than ${MAX_STRING_LENGTH} characters would be built`);
}

export function listTooLong(): never {
  throw new EvaluationError('limit', `a list of more than ${MAX_LIST_LENGTH} items would be built`);
}

/** A built string, refused when it is longer than MAX_STRING_LENGTH. */
export function builtString(s: string): string {
  if (s.length > MAX_STRING_LENGTH) stringTooLong();
  return s;
}

/** A built list, refused when it has more than MAX_LIST_LENGTH items. */
export function builtList<T>(items: T): T {
  if ((items as unknown as readonly unknown[]).length > MAX_LIST_LENGTH) listTooLong();
  return items;
}

/** Refuses, before it is built, a list that would have `n` items. */
export function checkListLength(n: number): void {
  if (n > MAX_LIST_LENGTH) listTooLong();
}
