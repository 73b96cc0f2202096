/**
 * The state of one evaluation besides its variables (which every closure takes as its
 * first argument): the host's environment, the capture list of `matches` and the cost
 * spent. (A program makes and reuses its state objects itself: program.ts.)
 */
import type { Environment } from './environment.js';
import type { Value } from './values.js';

/** The session's variables as the host passes them: any object (its own properties are read). */
export type Vars = object | null | undefined;

/** A variables object the closures may read directly: its prototype is Object.prototype or null. */
export type VariablesObject = Readonly<Record<string, unknown>>;

export interface State {
  env: Environment;
  captures: Value[];
  /** Cost units spent so far (counted only by metered closures: compiler/metered.ts). */
  spent: number;
}

export const EMPTY_VARS: VariablesObject = Object.freeze(Object.create(null));
export const EMPTY_ENV: Environment = Object.freeze({});
