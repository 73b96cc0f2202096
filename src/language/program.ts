/**
 * A compiled program: evaluation only. Everything it runs was built by `compile`; nothing
 * is compiled while it evaluates.
 *
 * Error contract: `evaluate`, `evaluateAsync`, `evaluateJson` and `explain` throw (or
 * reject with) `EvaluationError` and nothing else — a host lookup that fails, a custom
 * function that throws (both name the function), a value past the sizes an evaluation
 * builds, an evaluation over its cost budget. A `TypeError` means the API was misused:
 * `evaluate` on a program that calls host lookups.
 */
import type { Closures, Walk } from './compiler/index.js';
import { EXTRA, PreparedVariables } from './compiler/generated/variable-readers.js';
import { ALL_VARIABLE_SET } from './contexts.js';
import type { BlockPart } from './errors/diagnostic.js';
import { EvaluationError } from './errors/errors.js';
import type { Environment } from './runtime/environment.js';
import { toHost, toJsonValue, type HostValue, type JsonValue } from './runtime/host-values.js';
import { EMPTY_ENV, EMPTY_VARS, type State, type Vars, type VariablesObject } from './runtime/state.js';
import { truthy, type Value } from './runtime/values.js';
import type { Node } from './syntax/ast.js';

/** One expression string of a program, with its trees. */
export interface CompiledPart {
  part: BlockPart;
  source: string;
  /** The checked tree before optimisation. */
  checked: Node;
  /** The tree the closures are built from. */
  optimized: Node;
}

export interface ConditionTrace {
  condition: number;
  source: string;
  value: JsonValue;
  matched: boolean;
  /** Captures after the condition was evaluated (`$0`, `$1`, …). */
  captures: string[];
}

/** What `explain` reports: each condition's value, the branch taken, and the result. */
export interface Explanation {
  conditions: ConditionTrace[];
  /** `then` of condition N, `else`, or null when the block is unset. */
  taken: { kind: 'then'; condition: number; source: string } | { kind: 'else'; source: string } | null;
  value: JsonValue;
  captures: string[];
  /** Cost units this evaluation spent, the program's estimated worst case, and the limit (limits.maxCost). */
  cost: { spent: number; estimate: number; limit: number };
}

/**
 * What `trace` reports: the explanation, and the value as `evaluateAsync` gives it (host
 * values: constants as `Constant`, floats unboxed), for a host that reads it as a type.
 */
export interface Trace {
  explanation: Explanation;
  value: HostValue | null;
}

/** What the program needs at run time (from the checker). */
export interface ProgramUsage {
  variables: ReadonlySet<string>;
  isAsync: boolean;
  usesCaptures: boolean;
}

/** Where the walk over a block's conditions ended: a condition (0-based), the else (-1), or nowhere (unset). */
interface Walked {
  value: Value | undefined;
  taken: number | null;
}

type ConditionObserver = (condition: number, value: Value) => void;

// The entry of every evaluation. These stay in this module: V8 inlines them into
// `evaluate` only when they are not imported (measured: 2 ns per evaluation).
const NO_CAPTURES: Value[] = Object.freeze([]) as unknown as Value[];
const OBJECT_PROTOTYPE = Object.prototype;

/**
 * The names in code-unit order, as `Array.prototype.sort` orders strings: a program reads a
 * few variables, and an insertion sort of a few is several times faster than `sort`.
 */
function sortedNames(names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const name of names) {
    let i = out.length;
    if (i >= 16) return [...names].sort();
    while (i > 0 && out[i - 1]! > name) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = name;
  }
  return out;
}

/** One class, so every program's closures see one hidden class. */
class EvalState implements State {
  spent = 0;
  constructor(
    public env: Environment,
    public captures: Value[],
  ) {}
}

/**
 * The state of every evaluation of a stateless program (one that reads no environment and
 * no captures and is not metered): its closures never touch it, so nothing is allocated,
 * reset or released per evaluation, and a nested evaluation is safe.
 */
const NO_STATE: State = Object.freeze(new EvalState(EMPTY_ENV, NO_CAPTURES));

/**
 * The variables object the closures read. A plain object (prototype Object.prototype or
 * null) is used as it is; any other object is first copied to a null-prototype object of
 * its own enumerable properties, so nothing inherited can be read as a variable.
 */
function variablesOf(vars: Vars): VariablesObject {
  // A prepared object first: one class, tested without a property load that many shapes make megamorphic.
  if (vars instanceof PreparedVariables) return vars as unknown as VariablesObject;
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

/**
 * The variables of one stage of a session, prepared once for every program evaluated
 * against them: a snapshot (each getter is read once) with every known variable as an own
 * field, in one order, so all prepared objects share one hidden class and the closures'
 * property loads stay monomorphic however many shapes the host's objects have. Variables
 * the language does not know (custom ones) are kept aside, so that they do not change the
 * class. Evaluating a prepared object gives what evaluating the object it was prepared
 * from gives. (`variablesOf` tests for one first, at the cost of about 1 ns for other
 * objects, so that the host's own objects never make that test megamorphic.)
 */
export function prepareVariables(vars: Vars): PreparedVariables {
  if (vars instanceof PreparedVariables) return vars;
  const v = variablesOf(vars);
  const prepared = new PreparedVariables();
  const fields = prepared as unknown as Record<string, unknown>;
  let extra: Record<string, unknown> | null = null;
  // The host's own properties only (what the readers of a plain object read), each read once.
  for (const name of Object.getOwnPropertyNames(v)) {
    if (ALL_VARIABLE_SET.has(name)) fields[name] = v[name];
    else (extra ??= Object.create(null) as Record<string, unknown>)[name] = v[name];
  }
  prepared[EXTRA] = extra;
  return prepared;
}

/** A fresh state for one evaluation. */
function newState(env: Environment | undefined, usesCaptures: boolean): State {
  return new EvalState(env !== null && typeof env === 'object' ? env : EMPTY_ENV, usesCaptures ? [] : NO_CAPTURES);
}

function notSync(): never {
  throw new TypeError('this program calls host lookups: evaluate it with evaluateAsync');
}

/** A compiled expression or block: compile once, evaluate per session. */
export class Program {
  // The fields are declared, not defined: the constructor creates each once, in one order (a
  // field defined by the class would be created empty, then written again).
  /** Whether the program calls host lookups (then only evaluateAsync runs it). */
  declare readonly isAsync: boolean;
  /** Whether the block is unset (no conditions, empty `else`): it has no value. */
  declare readonly isUnset: boolean;
  /** The variables the program reads, sorted. */
  declare readonly variables: readonly string[];
  /** The compiled strings: conditions' `if` and `then` in order, then `else`. */
  declare readonly parts: readonly CompiledPart[];
  /** The most cost units one evaluation may spend (limits.maxCost). */
  declare readonly costLimit: number;
  declare private readonly closures: Closures;
  declare private readonly run: Closures['run'];
  declare private readonly test: Closures['test'];
  declare private readonly usesCaptures: boolean;
  /** Every evaluation runs on NO_STATE (Closures.stateless). */
  declare private readonly stateless: boolean;
  /** `run` gives host values (Closures.hostReady). */
  declare private readonly hostReady: boolean;
  declare private idle: State | null;

  /** @internal use `compile` */
  constructor(parts: readonly CompiledPart[], closures: Closures, usage: ProgramUsage, costLimit: number) {
    this.parts = parts;
    this.closures = closures;
    this.run = closures.run;
    this.test = closures.test;
    this.costLimit = costLimit;
    this.isAsync = usage.isAsync;
    // The `else`, when there is one, is the last part.
    this.isUnset = parts.length === 0 || parts[parts.length - 1]!.part.kind !== 'else';
    this.usesCaptures = usage.usesCaptures;
    this.stateless = closures.stateless;
    this.hostReady = closures.hostReady;
    this.idle = null;
    this.variables = Object.freeze(sortedNames(usage.variables));
  }

  /**
   * The estimated worst case of one evaluation, in cost units (about 100 ns each). Over
   * `costLimit`, evaluations are metered and stop at the limit with an EvaluationError of
   * code `budget`; within it, they run unmetered.
   */
  get cost(): number {
    return this.closures.cost();
  }

  /** Evaluates with the session's variables; `null` when the block is unset. */
  evaluate(vars?: Vars, env?: Environment): HostValue | null {
    const run = this.run;
    const test = this.test;
    if (run === null) notSync();
    const v = variablesOf(vars);
    if (this.stateless) {
      try {
        if (test !== null) return test(v, NO_STATE) ? 1 : 0;
        const r = run(v, NO_STATE);
        return r === undefined ? null : this.hostReady ? (r as HostValue) : toHost(r);
      } catch (e) {
        throw EvaluationError.from(e);
      }
    }
    const s = this.acquire(env);
    let result: HostValue | null;
    try {
      if (test !== null) result = test(v, s) ? 1 : 0;
      else {
        const r = run(v, s);
        result = r === undefined ? null : this.hostReady ? (r as HostValue) : toHost(r);
      }
    } catch (e) {
      this.release(s);
      throw EvaluationError.from(e);
    }
    this.release(s);
    return result;
  }

  /** The raw language value (floats boxed); `undefined` when unset. */
  evaluateValue(vars?: Vars, env?: Environment): Value | undefined {
    const run = this.run;
    const test = this.test;
    if (run === null) notSync();
    const v = variablesOf(vars);
    if (this.stateless) {
      try {
        return test !== null ? (test(v, NO_STATE) ? 1 : 0) : run(v, NO_STATE);
      } catch (e) {
        throw EvaluationError.from(e);
      }
    }
    const s = this.acquire(env);
    let result: Value | undefined;
    try {
      result = test !== null ? (test(v, s) ? 1 : 0) : run(v, s);
    } catch (e) {
      this.release(s);
      throw EvaluationError.from(e);
    }
    this.release(s);
    return result;
  }

  /**
   * The evaluation state. One object is reused between evaluations; a nested evaluation of
   * the same program (from a host function) finds it taken and makes its own.
   */
  private acquire(env: Environment | undefined): State {
    const s = this.idle;
    if (s === null) return newState(env, this.usesCaptures);
    this.idle = null;
    s.env = env !== null && typeof env === 'object' ? env : EMPTY_ENV;
    if (this.usesCaptures) s.captures.length = 0;
    return s;
  }

  /** Gives the state back, holding no reference to the host's objects. */
  private release(s: State): void {
    s.env = EMPTY_ENV;
    this.idle = s;
  }

  /** Canonical JSON of the value (constants as {"constant": name}, unset as null). */
  evaluateJson(vars?: Vars, env?: Environment): JsonValue {
    return toJsonValue(this.evaluateValue(vars, env));
  }

  /** Evaluates a program that may call host lookups (`env.lookups`). Rejects with EvaluationError when one fails. */
  async evaluateAsync(vars?: Vars, env?: Environment): Promise<HostValue | null> {
    const v = await this.evaluateValueAsync(vars, env);
    return v === undefined ? null : toHost(v);
  }

  async evaluateValueAsync(vars?: Vars, env?: Environment): Promise<Value | undefined> {
    if (!this.isAsync) return this.evaluateValue(vars, env);
    return (await this.walk(this.closures.walk!, variablesOf(vars), newState(env, this.usesCaptures))).value;
  }

  /** Evaluates step by step, reporting each condition's value, the branch taken and the captures. */
  async explain(vars?: Vars, env?: Environment): Promise<Explanation> {
    return (await this.trace(vars, env)).explanation;
  }

  /**
   * The walk of `explain`, with the value: what a host records when it needs to know what
   * was evaluated (a simulation, branch coverage). It runs the walk's closures (each
   * condition, then the branch taken), never the fast runner of `evaluate`, so tracing
   * costs nothing to the programs that are not traced.
   */
  async trace(vars?: Vars, env?: Environment): Promise<Trace> {
    const conditions: ConditionTrace[] = [];
    const captures = (s: State): string[] => s.captures.map((c) => String(toHost(c)));
    const s = newState(env, this.usesCaptures);
    const whens = this.parts.filter((p) => p.part.kind === 'if');
    let walk: Walk;
    try {
      walk = this.closures.explain();
    } catch (e) {
      throw EvaluationError.from(e);
    }
    const { value, taken } = await this.walk(walk, variablesOf(vars), s, (i, v) => {
      conditions.push({ condition: i + 1, source: whens[i]!.source, value: toJsonValue(v), matched: truthy(v), captures: captures(s) });
    });
    const source = (kind: 'then' | 'else', condition?: number): string => this.parts.find((p) => p.part.kind === kind && (kind === 'else' || (p.part as { condition: number }).condition === condition))!.source;
    const explanation: Explanation = {
      conditions,
      taken: taken === null ? null : taken < 0 ? { kind: 'else', source: source('else') } : { kind: 'then', condition: taken + 1, source: source('then', taken + 1) },
      value: taken === null ? null : toJsonValue(value),
      captures: captures(s),
      cost: { spent: s.spent, estimate: this.cost, limit: this.costLimit },
    };
    return { explanation, value: taken === null || value === undefined ? null : toHost(value) };
  }

  /**
   * The one walk over the conditions that `evaluateAsync` and `explain` share: the first
   * condition whose value is truthy selects its `then`, else the `else` (SPEC §1). The
   * synchronous runner of `evaluate` is the compiled form of this walk.
   */
  private async walk({ conditions, otherwise }: Walk, v: VariablesObject, s: State, trace?: ConditionObserver): Promise<Walked> {
    try {
      for (let i = 0; i < conditions.length; i++) {
        const c = conditions[i]!;
        const value = await c.when(v, s);
        trace?.(i, value);
        if (truthy(value)) return { value: await c.then(v, s), taken: i };
      }
      return otherwise === null ? { value: undefined, taken: null } : { value: await otherwise(v, s), taken: -1 };
    } catch (e) {
      throw EvaluationError.from(e);
    }
  }
}
