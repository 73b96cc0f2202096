/**
 * The pipeline in one place: source → parse → check → optimise → closures, for a single
 * expression or an if/then/else block, and the compiled program's evaluation API.
 */
import type { Node } from './ast.js';
import { normalizeBlock, type BlockInput } from './block.js';
import { check, newUsage, type Usage } from './checker.js';
import { Compiler, isBooleanValued, type AsyncClosure, type State, type Test } from './compiler.js';
import { CompileError, type BlockPart } from './errors.js';
import { optimize, optimizeBlock, type BlockTrees } from './optimizer/index.js';
import { resolveScope, type CompileOptions, type Environment, type Scope } from './options.js';
import { parse } from './parser.js';
import { toHost, toJsonValue, truthy, type HostValue, type JsonValue, type Value } from './values.js';

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
}

/** The session's variables: any object (its own properties are read). */
type Vars = object | null | undefined;

const EMPTY_VARS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));
const EMPTY_ENV: Environment = Object.freeze({});
const NO_CAPTURES: Value[] = Object.freeze([]) as unknown as Value[];
const OBJECT_PROTOTYPE = Object.prototype;

/** The state of one evaluation (a class: one hidden class for every program). */
class EvalState implements State {
  constructor(
    public vars: Readonly<Record<string, unknown>>,
    public env: Environment,
    public captures: Value[],
  ) {}
}

/**
 * The variables object the closures read. A plain object (prototype Object.prototype or
 * null) is used as it is; any other object is first copied to a null-prototype object of
 * its own enumerable properties, so nothing inherited can be read as a variable.
 */
function variablesOf(vars: Vars): Readonly<Record<string, unknown>> {
  if (vars === null || typeof vars !== 'object') return EMPTY_VARS;
  // `__proto__` is read through Object.prototype's accessor (about twice as fast as
  // Object.getPrototypeOf). Data cannot forge it: an own `__proto__` property (JSON.parse
  // makes one) never holds Object.prototype itself, so such objects take the copy path.
  const proto = (vars as { __proto__?: unknown }).__proto__;
  if (proto === OBJECT_PROTOTYPE || (proto === undefined && Object.getPrototypeOf(vars) === null)) return vars as Readonly<Record<string, unknown>>;
  try {
    return Object.assign(Object.create(null) as Record<string, unknown>, vars);
  } catch {
    return EMPTY_VARS;
  }
}

/** Parses and checks one string; errors are attributed to its block part. */
function checkPart(source: string, part: BlockPart | undefined, scope: Scope, usage: Usage): CompiledPart {
  try {
    const checked = check(parse(source, scope.limits), source, scope, usage);
    return { part: part ?? { kind: 'else' }, source, checked, optimized: checked };
  } catch (e) {
    if (part && e instanceof CompileError && e.part === undefined) throw e.inPart(part);
    throw e;
  }
}

function notSync(): never {
  throw new TypeError('this program calls host lookups: evaluate it with evaluateAsync');
}

/** A compiled expression or block: compile once, evaluate per session. */
export class Program {
  /** Whether the program calls host lookups (then only evaluateAsync runs it). */
  readonly isAsync: boolean;
  /** Whether the block is unset (no conditions, empty `else`): it has no value. */
  readonly isUnset: boolean;
  /** The variables the program reads, sorted. */
  readonly variables: readonly string[];
  /** The compiled strings: conditions' `if` and `then` in order, then `else`. */
  readonly parts: readonly CompiledPart[];
  private readonly conditions: ReadonlyArray<{ when: CompiledPart; then: CompiledPart }>;
  private readonly otherwise: CompiledPart | null;
  private readonly usesCaptures: boolean;
  private readonly compiler: Compiler;
  private readonly run: (s: State) => Value | undefined;
  /** For a single expression whose value is 1 or 0: its test, called without the wrapping closure. */
  private readonly runTest: Test | null;
  private asyncParts: Map<CompiledPart, AsyncClosure> | undefined;
  private idle: State | null = null;

  /** @internal use `compile` */
  constructor(conditions: Array<{ when: CompiledPart; then: CompiledPart }>, otherwise: CompiledPart | null, usage: Usage, scope: Scope) {
    if (scope.optimize) {
      for (const p of [...conditions.flatMap((c) => [c.when, c.then]), ...(otherwise ? [otherwise] : [])]) {
        p.optimized = optimize(p.checked, scope.functions);
      }
    }
    this.conditions = conditions;
    this.otherwise = otherwise;
    this.parts = Object.freeze([...conditions.flatMap((c) => [c.when, c.then]), ...(otherwise ? [otherwise] : [])]);
    this.isAsync = usage.isAsync;
    this.isUnset = otherwise === null;
    this.usesCaptures = usage.usesCaptures;
    this.variables = Object.freeze([...usage.variables].sort());
    this.compiler = new Compiler(scope.functions, usage.readsCaptures, scope.optimize);
    let trees: BlockTrees = {
      conditions: conditions.map((c) => [c.when.optimized, c.then.optimized] as const),
      otherwise: otherwise?.optimized ?? null,
    };
    if (scope.optimize) trees = optimizeBlock(trees);
    const single = trees.conditions.length === 0 && trees.otherwise !== null && scope.optimize && !this.isAsync && isBooleanValued(trees.otherwise, scope.functions);
    const runTest = single ? this.compiler.test(trees.otherwise!) : null;
    this.runTest = runTest;
    this.run = this.isAsync ? notSync : runTest ? (s) => (runTest(s) ? 1 : 0) : this.compiler.block(trees.conditions, trees.otherwise);
  }

  private state(vars: Vars, env: Environment | undefined): State {
    return new EvalState(
      variablesOf(vars),
      env !== null && typeof env === 'object' ? env : EMPTY_ENV,
      this.usesCaptures ? [] : NO_CAPTURES,
    );
  }

  /** Evaluates with the session's variables; `null` when the block is unset. Never throws for a synchronous program. */
  evaluate(vars?: Vars, env?: Environment): HostValue | null {
    const s = this.acquire(vars, env);
    const test = this.runTest;
    let result: HostValue | null;
    if (test !== null) {
      result = test(s) ? 1 : 0;
    } else {
      const v = this.run(s);
      result = v === undefined ? null : toHost(v);
    }
    this.release(s);
    return result;
  }

  /** The raw language value (floats boxed); `undefined` when unset. */
  evaluateValue(vars?: Vars, env?: Environment): Value | undefined {
    const s = this.acquire(vars, env);
    const test = this.runTest;
    const v = test !== null ? (test(s) ? 1 : 0) : this.run(s);
    this.release(s);
    return v;
  }

  /**
   * The evaluation state. One object is reused between evaluations; a nested evaluation of
   * the same program (from a host function) finds it taken and makes its own.
   */
  private acquire(vars: Vars, env: Environment | undefined): State {
    const s = this.idle;
    if (s === null) return this.state(vars, env);
    this.idle = null;
    s.vars = variablesOf(vars);
    s.env = env !== null && typeof env === 'object' ? env : EMPTY_ENV;
    if (this.usesCaptures) s.captures.length = 0;
    return s;
  }

  /** Gives the state back, holding no reference to the host's objects. */
  private release(s: State): void {
    s.vars = EMPTY_VARS;
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
    if (!this.isAsync) return this.run(this.state(vars, env));
    const s = this.state(vars, env);
    for (const c of this.conditions) if (truthy(await this.asyncPart(c.when)(s))) return this.asyncPart(c.then)(s);
    return this.otherwise ? this.asyncPart(this.otherwise)(s) : undefined;
  }

  /** The closure of one part on its own (for asynchronous programs and explain). */
  private asyncPart(part: CompiledPart): AsyncClosure {
    this.asyncParts ??= new Map();
    let fn = this.asyncParts.get(part);
    if (fn === undefined) {
      fn = this.isAsync ? this.compiler.compileAsync(part.optimized).fn : this.compiler.compile(part.optimized);
      this.asyncParts.set(part, fn);
    }
    return fn;
  }

  /** Evaluates step by step, reporting each condition's value, the branch taken and the captures. */
  async explain(vars?: Vars, env?: Environment): Promise<Explanation> {
    const s = this.state(vars, env);
    const snapshot = (): string[] => s.captures.map((c) => String(toHost(c)));
    const conditions: ConditionTrace[] = [];
    let n = 0;
    for (const c of this.conditions) {
      n++;
      const value = await this.asyncPart(c.when)(s);
      const matched = truthy(value);
      conditions.push({ condition: n, source: c.when.source, value: toJsonValue(value), matched, captures: snapshot() });
      if (matched) {
        const result = await this.asyncPart(c.then)(s);
        return { conditions, taken: { kind: 'then', condition: n, source: c.then.source }, value: toJsonValue(result), captures: snapshot() };
      }
    }
    if (!this.otherwise) return { conditions, taken: null, value: null, captures: snapshot() };
    const result = await this.asyncPart(this.otherwise)(s);
    return { conditions, taken: { kind: 'else', source: this.otherwise.source }, value: toJsonValue(result), captures: snapshot() };
  }
}

/**
 * Compiles an expression string or an if/then/else block in a context.
 * Throws CompileError (positioned, with the block part) for any fault in the source,
 * TypeError for invalid options.
 */
export function compile(input: string | BlockInput, options: CompileOptions = {}): Program {
  const scope = resolveScope(options);
  const usage = newUsage();
  if (typeof input === 'string') return new Program([], checkPart(input, undefined, scope, usage), usage, scope);
  const block = normalizeBlock(input);
  const conditions = block.conditions.map((c, i) => ({
    when: checkPart(c.if, { kind: 'if', condition: i + 1 }, scope, usage),
    then: checkPart(c.then, { kind: 'then', condition: i + 1 }, scope, usage),
  }));
  const otherwise = block.else === null ? null : checkPart(block.else, { kind: 'else' }, scope, usage);
  return new Program(conditions, otherwise, usage, scope);
}
