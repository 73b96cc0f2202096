/**
 * The pipeline in one place: source → parse → check → optimise → closures, for a single
 * expression or an if/then/else block, and the compiled program's evaluation API.
 */
import type { Node } from './ast.js';
import { normalizeBlock, type BlockInput } from './block.js';
import { check, newUsage, type Usage } from './checker.js';
import { Compiler, type AsyncClosure, type Closure, type State } from './compiler.js';
import { CompileError, describePart, type BlockPart } from './errors.js';
import { optimize } from './optimizer/index.js';
import { resolveScope, type CompileOptions, type Environment, type Scope } from './options.js';
import { parse } from './parser.js';
import { toHost, toJsonValue, truthy, type HostValue, type JsonValue, type Value } from './values.js';

/** One compiled expression string of a program, with its trees. */
export interface CompiledPart {
  part: BlockPart;
  source: string;
  /** The checked tree before optimisation. */
  checked: Node;
  /** The tree the closures were built from. */
  optimized: Node;
  fn: Closure;
  asyncFn: AsyncClosure;
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

const EMPTY_VARS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));
const EMPTY_ENV: Environment = Object.freeze({});
const NO_CAPTURES: Value[] = Object.freeze([]) as unknown as Value[];

interface CheckedPart {
  part: BlockPart | undefined;
  source: string;
  checked: Node;
}

/** Parses and checks one string; errors are attributed to its block part. */
function checkPart(source: string, part: BlockPart | undefined, scope: Scope, usage: Usage): CheckedPart {
  try {
    return { part, source, checked: check(parse(source, scope.limits), source, scope, usage) };
  } catch (e) {
    if (part && e instanceof CompileError && e.part === undefined) throw e.inPart(part);
    throw e;
  }
}

/** Optimises and builds closures, once every part is checked (so usage is complete). */
function buildPart(p: CheckedPart, scope: Scope, usage: Usage): CompiledPart {
  const optimized = scope.optimize ? optimize(p.checked, scope.functions) : p.checked;
  const compiler = new Compiler(scope.functions, usage);
  const fn = usage.isAsync ? notSync : compiler.compile(optimized);
  const asyncFn = usage.isAsync ? compiler.compileAsync(optimized).fn : fn;
  return { part: p.part ?? { kind: 'else' }, source: p.source, checked: p.checked, optimized, fn, asyncFn };
}

const notSync: Closure = () => {
  throw new TypeError('this program calls host lookups: evaluate it with evaluateAsync');
};

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
  private readonly run: (s: State) => Value | undefined;

  /** @internal use `compile` */
  constructor(conditions: Array<{ when: CompiledPart; then: CompiledPart }>, otherwise: CompiledPart | null, usage: Usage) {
    this.conditions = conditions;
    this.otherwise = otherwise;
    this.isAsync = usage.isAsync;
    this.isUnset = otherwise === null;
    this.usesCaptures = usage.usesCaptures;
    this.variables = Object.freeze([...usage.variables].sort());
    this.parts = Object.freeze([...conditions.flatMap((c) => [c.when, c.then]), ...(otherwise ? [otherwise] : [])]);
    this.run = blockRunner(
      conditions.map((c) => [c.when.fn, c.then.fn] as const),
      otherwise?.fn ?? null,
    );
  }

  private state(vars: unknown, env: Environment | undefined): State {
    return {
      vars: vars !== null && typeof vars === 'object' ? (vars as Record<string, unknown>) : EMPTY_VARS,
      env: env !== null && typeof env === 'object' ? env : EMPTY_ENV,
      captures: this.usesCaptures ? [] : NO_CAPTURES,
    };
  }

  /** Evaluates with the session's variables; `null` when the block is unset. Never throws for a synchronous program. */
  evaluate(vars?: Readonly<Record<string, unknown>> | null, env?: Environment): HostValue | null {
    const v = this.evaluateValue(vars, env);
    return v === undefined ? null : toHost(v);
  }

  /** The raw language value (floats boxed); `undefined` when unset. */
  evaluateValue(vars?: Readonly<Record<string, unknown>> | null, env?: Environment): Value | undefined {
    if (this.isAsync) notSync(this.state(vars, env));
    return this.run(this.state(vars, env));
  }

  /** Evaluates a program that may call host lookups (`env.lookups`). Rejects with EvaluationError when one fails. */
  async evaluateAsync(vars?: Readonly<Record<string, unknown>> | null, env?: Environment): Promise<HostValue | null> {
    const v = await this.evaluateValueAsync(vars, env);
    return v === undefined ? null : toHost(v);
  }

  async evaluateValueAsync(vars?: Readonly<Record<string, unknown>> | null, env?: Environment): Promise<Value | undefined> {
    if (!this.isAsync) return this.run(this.state(vars, env));
    const s = this.state(vars, env);
    for (const c of this.conditions) if (truthy(await c.when.asyncFn(s))) return c.then.asyncFn(s);
    return this.otherwise ? this.otherwise.asyncFn(s) : undefined;
  }

  /** Canonical JSON of the value (constants as {"constant": name}, unset as null). */
  evaluateJson(vars?: Readonly<Record<string, unknown>> | null, env?: Environment): JsonValue {
    return toJsonValue(this.evaluateValue(vars, env));
  }

  /** Evaluates step by step, reporting each condition's value, the branch taken and the captures. */
  async explain(vars?: Readonly<Record<string, unknown>> | null, env?: Environment): Promise<Explanation> {
    const s = this.state(vars, env);
    const snapshot = (): string[] => s.captures.map((c) => String(toHost(c)));
    const conditions: ConditionTrace[] = [];
    let n = 0;
    for (const c of this.conditions) {
      n++;
      const value = await c.when.asyncFn(s);
      const matched = truthy(value);
      conditions.push({ condition: n, source: c.when.source, value: toJsonValue(value), matched, captures: snapshot() });
      if (matched) {
        const result = await c.then.asyncFn(s);
        return { conditions, taken: { kind: 'then', condition: n, source: c.then.source }, value: toJsonValue(result), captures: snapshot() };
      }
    }
    if (!this.otherwise) return { conditions, taken: null, value: null, captures: snapshot() };
    const result = await this.otherwise.asyncFn(s);
    return { conditions, taken: { kind: 'else', source: this.otherwise.source }, value: toJsonValue(result), captures: snapshot() };
  }
}

function blockRunner(
  conditions: ReadonlyArray<readonly [Closure, Closure]>,
  otherwise: Closure | null,
): (s: State) => Value | undefined {
  if (conditions.length === 0) return otherwise ?? (() => undefined);
  if (conditions.length === 1) {
    const [when, then] = conditions[0]!;
    const other = otherwise!;
    return (s) => (truthy(when(s)) ? then(s) : other(s));
  }
  const whens = conditions.map((c) => c[0]);
  const thens = conditions.map((c) => c[1]);
  const n = whens.length;
  const other = otherwise!;
  return (s) => {
    for (let i = 0; i < n; i++) if (truthy(whens[i]!(s))) return thens[i]!(s);
    return other(s);
  };
}

/**
 * Compiles an expression string or an if/then/else block in a context.
 * Throws CompileError (positioned, with the block part) for any fault in the source,
 * TypeError for invalid options.
 */
export function compile(input: string | BlockInput, options: CompileOptions = {}): Program {
  const scope = resolveScope(options);
  const usage = newUsage();
  if (typeof input === 'string') {
    const part = checkPart(input, undefined, scope, usage);
    return new Program([], buildPart(part, scope, usage), usage);
  }
  const block = normalizeBlock(input);
  const checked = block.conditions.map((c, i) => ({
    when: checkPart(c.if, { kind: 'if', condition: i + 1 }, scope, usage),
    then: checkPart(c.then, { kind: 'then', condition: i + 1 }, scope, usage),
  }));
  const checkedElse = block.else === null ? null : checkPart(block.else, { kind: 'else' }, scope, usage);
  const conditions = checked.map((c) => ({ when: buildPart(c.when, scope, usage), then: buildPart(c.then, scope, usage) }));
  return new Program(conditions, checkedElse && buildPart(checkedElse, scope, usage), usage);
}

export { describePart };
