/** The shape of a function table row: the checker, the compiler and the docs read these. */
import type { Lookups } from '../runtime/environment.js';
import type { Value } from '../runtime/values.js';

export interface FunctionSpec {
  name: string;
  /** Exact number of arguments. */
  arity: number;
  /** Same arguments, same result, no side effect: calls on constants are folded at compile time. */
  pure: boolean;
  /** Always returns 1 or 0 (a predicate): in a condition the compiler uses the result as a test. */
  boolean?: boolean;
  /** Resolved through host lookups: the program can only be evaluated asynchronously. */
  async: boolean;
  /**
   * What a call builds, which the evaluation cost counts (compiler/cost.ts): a new string
   * (`text`), a new list (`list`), a new list of strings (`strings`), a string or a list made
   * item by item (†, `mapped`), a sorted copy (`sorted`). Absent: nothing but the call itself
   * (a number, a test, one of its arguments, or a value from the host).
   */
  builds?: 'text' | 'list' | 'strings' | 'mapped' | 'sorted';
  /**
   * For a function that spends more than a few nanoseconds on each character it reads: how
   * many characters of its arguments' string forms cost one unit (compiler/cost.ts).
   */
  scans?: number;
  /** Indexes the items of its list arguments (`dedup`, `is_intersect`): each counts, a list in a list more. */
  indexes?: boolean;
  /** Synchronous implementation (arguments already evaluated). */
  fn?: (...args: Value[]) => Value;
  /**
   * A faster implementation for calls with some literal arguments (`literals[i]` is the
   * value of argument i when it is a literal), or undefined to keep `fn`. It receives every
   * argument all the same and must give the same results as `fn`.
   */
  specialize?: (literals: ReadonlyArray<Value | undefined>) => ((...args: Value[]) => Value) | undefined;
  /**
   * For a predicate called on one variable and literals: a test on the variable's raw host
   * value (`at` is the variable's argument; `literals` as for `specialize`), or undefined
   * to call `fn`. It must give what `fn` gives, as a JS boolean, for every host value (the
   * property tests compare it with the reference closures).
   */
  hostTest?: (literals: ReadonlyArray<Value | undefined>, at: number) => ((x: unknown) => boolean) | undefined;
  /** Asynchronous implementation, given the host's lookups. */
  asyncFn?: (lookups: Lookups, ...args: Value[]) => Promise<Value>;
}

/** Row flags: a pure function, a pure predicate (1 or 0), a host lookup. */
export const PURE = { pure: true, async: false } as const;
export const PREDICATE = { pure: true, async: false, boolean: true } as const;
export const LOOKUP = { pure: false, async: true } as const;

/** A JS boolean as the language's 1 or 0. */
export const bool = (b: boolean): number => (b ? 1 : 0);
