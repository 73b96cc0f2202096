/**
 * The closure stage of the pipeline: checked (and optimised) trees in, the closures a
 * `Program` runs out. Optimised programs get the fast closures, unoptimised ones the
 * reference closures; programs that call host lookups get asynchronous closures. A program
 * whose estimated worst case (cost.ts) is over limits.maxCost gets the metered closures
 * instead (metered.ts), which stop it at the limit; `explain` always runs metered closures,
 * built when it is first called.
 */
import type { FunctionSpec } from '../functions/index.js';
import type { BlockTrees } from '../optimizer/index.js';
import { toHost } from '../runtime/host-values.js';
import { childrenOf, type Node } from '../syntax/ast.js';
import { AsyncCompiler } from './async.js';
import { estimateBlock } from './cost.js';
import { FastCompiler } from './fast.js';
import { MeteredCompiler } from './metered.js';
import { isBooleanValued, type AsyncClosure, type Test } from './operands.js';
import { PREPARE_STEP, ReferenceCompiler, type BlockRunner } from './reference.js';

export type { AsyncClosure, Closure, Test } from './operands.js';
export type { BlockRunner } from './reference.js';

/** One closure per condition's `if` and `then`, and the `else`: what a walk over the block runs. */
export interface Walk {
  conditions: ReadonlyArray<{ when: AsyncClosure; then: AsyncClosure }>;
  otherwise: AsyncClosure | null;
}

/** What a `Program` evaluates with. */
export interface Closures {
  /** The block's value, for synchronous programs (null when the program calls lookups). */
  run: BlockRunner | null;
  /** A single expression whose value is 1 or 0: its test, called without a wrapper. */
  test: Test | null;
  /** The walk of `evaluateAsync`, for programs that call lookups (null otherwise). */
  walk: Walk | null;
  /** The metered walk of `explain`, built on the first call. */
  explain: () => Walk;
  /** The estimated worst case of one evaluation, in cost units (computed on the first call). */
  cost: () => number;
  /** Whether the closures count the cost (the estimate is over the limit). */
  metered: boolean;
  /**
   * Whether `run` reads nothing of its state (no environment, no captures, no cost): then
   * every evaluation may share one empty state.
   */
  stateless: boolean;
  /**
   * Whether every value `run` gives is already its own host form (a literal without a
   * float, decided at compile time): `evaluate` returns it as it is, without `toHost`.
   */
  hostReady: boolean;
}

export interface ClosureOptions {
  functions: ReadonlyMap<string, FunctionSpec>;
  /** The program calls host lookups. */
  isAsync: boolean;
  /** The program reads `$n` captures. */
  readsCaptures: boolean;
  /** Build the fast closures (else the reference closures). */
  optimize: boolean;
  limits: { readonly maxCost: number; readonly maxMatchLength: number };
  /** The depth of the deepest tree (from the parser): shallow trees need no `prepare`. */
  depth: number;
  /**
   * Whether the sources may name the environment at all (`$NAME`, `system(…)`, `metric(…)`):
   * when they cannot, no tree is walked to find out.
   */
  mayReadEnvironment: boolean;
  /** An upper bound of the cost known without estimating it, if any: within the limit, the estimate waits until it is asked for. */
  costBound?: number;
}

/** Whether a block reads the host's environment (`global`, `system` and metric values). */
function readsEnvironment(block: BlockTrees): boolean {
  const nodes: Node[] = [];
  for (const [when, then] of block.conditions) nodes.push(when, then);
  if (block.otherwise) nodes.push(block.otherwise);
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    if (node.kind === 'global' || node.kind === 'system' || node.kind === 'metric') return true;
    for (const child of childrenOf(node)) nodes.push(child);
  }
  return false;
}

/** Whether every result of a block is a literal that is its own host form (no float to unbox). */
function literalResults(block: BlockTrees): boolean {
  const results = block.conditions.map(([, then]) => then);
  if (block.otherwise) results.push(block.otherwise);
  return results.every((n) => n.kind === 'literal' && toHost(n.value) === n.value);
}

/** Builds ahead the closures of the deep trees of a block (ReferenceCompiler.prepare). */
function prepare(compiler: ReferenceCompiler, block: BlockTrees, options: ClosureOptions): void {
  if (options.depth <= PREPARE_STEP) return;
  for (const [when, then] of block.conditions) compiler.prepare(when).prepare(then);
  if (block.otherwise) compiler.prepare(block.otherwise);
}

/** The walk over a block's parts, each compiled on its own (asynchronously when the program calls lookups). */
function walkOf(parts: BlockTrees, compiler: ReferenceCompiler, options: ClosureOptions, metered: MeteredCompiler | undefined): Walk {
  prepare(compiler, parts, options);
  const c = options.isAsync ? new AsyncCompiler(compiler, options.functions, metered) : compiler;
  return {
    conditions: parts.conditions.map(([when, then]) => ({ when: c.compile(when), then: c.compile(then) })),
    otherwise: parts.otherwise && c.compile(parts.otherwise),
  };
}

/**
 * Builds the closures of a block. `parts` are the block's expressions one by one (for the
 * walk, which reports every condition); `runner` is the same block after the block passes
 * (for the synchronous runner).
 */
export function buildClosures(parts: BlockTrees, runner: BlockTrees, options: ClosureOptions): Closures {
  const { functions, readsCaptures, optimize, limits } = options;
  let estimate: number | undefined;
  const cost = (): number => (estimate ??= estimateBlock(parts.conditions, parts.otherwise, { functions, maxMatchLength: limits.maxMatchLength }));
  const metered = (options.costBound ?? cost()) > limits.maxCost && cost() > limits.maxCost;
  let explainWalk: Walk | null = null;
  const explain = (): Walk => {
    if (explainWalk === null) {
      const m = new MeteredCompiler(functions, readsCaptures, limits.maxCost);
      explainWalk = walkOf(parts, m, options, m);
    }
    return explainWalk;
  };
  if (options.isAsync) {
    if (metered) return { run: null, test: null, walk: explain(), explain, cost, metered, stateless: false, hostReady: false };
    const compiler = optimize ? new FastCompiler(functions, readsCaptures) : new ReferenceCompiler(functions, readsCaptures);
    return { run: null, test: null, walk: walkOf(parts, compiler, options, undefined), explain, cost, metered, stateless: false, hostReady: false };
  }
  if (metered) {
    const m = new MeteredCompiler(functions, readsCaptures, limits.maxCost);
    prepare(m, runner, options);
    return { run: m.runner(runner.conditions, runner.otherwise), test: null, walk: null, explain, cost, metered, stateless: false, hostReady: false };
  }
  const compiler = optimize ? new FastCompiler(functions, readsCaptures) : new ReferenceCompiler(functions, readsCaptures);
  prepare(compiler, runner, options);
  const single = runner.conditions.length === 0 && runner.otherwise !== null && optimize && isBooleanValued(runner.otherwise, functions);
  const test = single ? compiler.test(runner.otherwise!) : null;
  const run: BlockRunner = test ? (v, s) => (test(v, s) ? 1 : 0) : compiler.block(runner.conditions, runner.otherwise);
  const stateless = !readsCaptures && !(options.mayReadEnvironment && readsEnvironment(runner));
  return { run, test, walk: null, explain, cost, metered, stateless, hostReady: optimize && literalResults(runner) };
}
