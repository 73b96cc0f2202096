/**
 * The state of one evaluation: the host's variables, its environment, and the capture
 * list of `matches`. One object is reused between evaluations of a program.
 */
import type { Environment } from './environment.js';
import type { Value } from './values.js';

/** The session's variables as the host passes them: any object (its own properties are read). */
export type Vars = object | null | undefined;

/** A variables object the closures may read directly: its prototype is Object.prototype or null. */
export type VariablesObject = Readonly<Record<string, unknown>>;

export interface State {
  vars: VariablesObject;
  env: Environment;
  captures: Value[];
}

export const EMPTY_VARS: VariablesObject = Object.freeze(Object.create(null));
export const EMPTY_ENV: Environment = Object.freeze({});
const NO_CAPTURES: Value[] = Object.freeze([]) as unknown as Value[];
const OBJECT_PROTOTYPE = Object.prototype;

/** One class, so every program's closures see one hidden class. */
class EvalState implements State {
  constructor(
    public vars: VariablesObject,
    public env: Environment,
    public captures: Value[],
  ) {}
}

/**
 * The variables object the closures read. A plain object (prototype Object.prototype or
 * null) is used as it is; any other object is first copied to a null-prototype object of
 * its own enumerable properties, so nothing inherited can be read as a variable.
 */
export function variablesOf(vars: Vars): VariablesObject {
  if (vars === null || typeof vars !== 'object') return EMPTY_VARS;
  // `__proto__` is read through Object.prototype's accessor (about twice as fast as
  // Object.getPrototypeOf). Data cannot forge it: an own `__proto__` property (JSON.parse
  // makes one) never holds Object.prototype itself, so such objects take the copy path.
  const proto = (vars as { __proto__?: unknown }).__proto__;
  if (proto === OBJECT_PROTOTYPE || (proto === undefined && Object.getPrototypeOf(vars) === null)) return vars as VariablesObject;
  try {
    return Object.assign(Object.create(null) as Record<string, unknown>, vars);
  } catch {
    return EMPTY_VARS;
  }
}

const environmentOf = (env: Environment | undefined): Environment => (env !== null && typeof env === 'object' ? env : EMPTY_ENV);

/** A fresh state for one evaluation. */
export function newState(vars: Vars, env: Environment | undefined, usesCaptures: boolean): State {
  return new EvalState(variablesOf(vars), environmentOf(env), usesCaptures ? [] : NO_CAPTURES);
}

/**
 * Hands out one reusable state per program; a nested evaluation of the same program (from a
 * host function) finds it taken and gets its own.
 */
export class StatePool {
  private idle: State | null = null;
  constructor(private readonly usesCaptures: boolean) {}

  acquire(vars: Vars, env: Environment | undefined): State {
    const s = this.idle;
    if (s === null) return newState(vars, env, this.usesCaptures);
    this.idle = null;
    s.vars = variablesOf(vars);
    s.env = environmentOf(env);
    if (this.usesCaptures) s.captures.length = 0;
    return s;
  }

  /** Gives the state back, holding no reference to the host's objects. */
  release(s: State): void {
    s.vars = EMPTY_VARS;
    s.env = EMPTY_ENV;
    this.idle = s;
  }
}
