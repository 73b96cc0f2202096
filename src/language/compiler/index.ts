/**
 * The closure stage of the pipeline: checked (and optimised) trees in, the closures a
 * `Program` runs out. Optimised programs get the fast closures, unoptimised ones the
 * reference closures; programs that call host lookups get asynchronous closures.
 */
import type { FunctionSpec } from '../functions/index.js';
import type { BlockTrees } from '../optimizer/index.js';
import { AsyncCompiler } from './async.js';
import { FastCompiler } from './fast.js';
import { isBooleanValued, type AsyncClosure, type Test } from './operands.js';
import { ReferenceCompiler, type BlockRunner } from './reference.js';

export type { AsyncClosure, Closure, Test } from './operands.js';
export type { BlockRunner } from './reference.js';

/** What a `Program` evaluates with. */
export interface Closures {
  /** The block's value, for synchronous programs (null when the program calls lookups). */
  run: BlockRunner | null;
  /** A single expression whose value is 1 or 0: its test, called without a wrapper. */
  test: Test | null;
  /** One closure per condition's `if` and `then`, and the `else`: the walk of `explain` and `evaluateAsync`. */
  conditions: ReadonlyArray<{ when: AsyncClosure; then: AsyncClosure }>;
  otherwise: AsyncClosure | null;
}

export interface ClosureOptions {
  functions: ReadonlyMap<string, FunctionSpec>;
  /** The program calls host lookups. */
  isAsync: boolean;
  /** The program reads `$n` captures. */
  readsCaptures: boolean;
  /** Build the fast closures (else the reference closures). */
  optimize: boolean;
}

/**
 * Builds the closures of a block. `parts` are the block's expressions one by one (for the
 * walk, which reports every condition); `runner` is the same block after the block passes
 * (for the synchronous runner).
 */
export function buildClosures(parts: BlockTrees, runner: BlockTrees, options: ClosureOptions): Closures {
  const { functions, readsCaptures, optimize } = options;
  const compiler = optimize ? new FastCompiler(functions, readsCaptures) : new ReferenceCompiler(functions, readsCaptures);
  if (options.isAsync) {
    const a = new AsyncCompiler(compiler, functions, readsCaptures);
    return {
      run: null,
      test: null,
      conditions: parts.conditions.map(([when, then]) => ({ when: a.compile(when), then: a.compile(then) })),
      otherwise: parts.otherwise && a.compile(parts.otherwise),
    };
  }
  const single = runner.conditions.length === 0 && runner.otherwise !== null && optimize && isBooleanValued(runner.otherwise, functions);
  const test = single ? compiler.test(runner.otherwise!) : null;
  const run: BlockRunner = test ? (s) => (test(s) ? 1 : 0) : compiler.block(runner.conditions, runner.otherwise);
  // A single expression's walk is its runner. A block's walk (only `explain` runs it) has
  // the reference closure of each part: more fast closures, never run, measurably slowed
  // the fast ones of other programs in the same process.
  if (parts.conditions.length === 0) return { run, test, conditions: [], otherwise: parts.otherwise && (run as AsyncClosure) };
  const walk = optimize ? new ReferenceCompiler(functions, readsCaptures) : compiler;
  return {
    run,
    test,
    conditions: parts.conditions.map(([when, then]) => ({ when: walk.compile(when), then: walk.compile(then) })),
    otherwise: parts.otherwise && walk.compile(parts.otherwise),
  };
}
