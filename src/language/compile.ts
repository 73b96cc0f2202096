/**
 * The pipeline, in one place:
 *
 *   source ──parse──▶ syntax tree ──check──▶ resolved tree ──optimise──▶ tree ──closures──▶ Program
 *
 * for a single expression or every string of an if/then/else block.
 */
import { Checker, newUsage, type Usage } from './check/checker.js';
import { lexicalHint } from './check/hints.js';
import { resolveScope, type CompileOptions, type Scope } from './check/scope.js';
import { buildClosures } from './compiler/index.js';
import type { BlockPart } from './errors/diagnostic.js';
import { CompileError } from './errors/errors.js';
import { optimize, optimizeBlock, type BlockTrees } from './optimizer/index.js';
import { Program, type CompiledPart } from './program.js';
import { normalizeBlock, type BlockInput } from './syntax/block.js';
import { parse, type ParseTotals } from './syntax/parser.js';

/**
 * Compiles an expression string or an if/then/else block in a context.
 * Throws CompileError (positioned, with the block part) for any fault in the source,
 * TypeError for invalid options.
 */
export function compile(input: string | BlockInput, options: CompileOptions = {}): Program {
  const scope = resolveScope(options);
  const usage = newUsage();
  const totals: ParseTotals = { source: 0, tokens: 0, depth: 0 };
  const sources = sourcesOf(input, scope.limits.maxConditions);
  // The expression being compiled, for an error of the engine's own (see tooDeep).
  let current = sources[0] ?? { source: '', part: undefined };
  try {
    const parts: CompiledPart[] = [];
    for (const s of sources) {
      current = s;
      parts.push(checkPart(s.source, s.part, scope, usage, totals));
    }
    const trees = treesOf(parts);
    const closures = buildClosures(trees, scope.optimize ? optimizeBlock(trees) : trees, {
      functions: scope.functions,
      isAsync: usage.isAsync,
      readsCaptures: usage.readsCaptures,
      optimize: scope.optimize,
      limits: scope.limits,
      depth: totals.depth,
      mayReadEnvironment: sources.some((s) => ENVIRONMENT_TEXT.test(s.source)),
      // Nothing that builds, matches or reads captures: each node costs at most 1 unit, an
      // array 1 per 2 items more, so twice the tokens bound the cost.
      costBound: usage.builds || usage.usesCaptures ? undefined : 2 * totals.tokens,
    });
    return new Program(parts, closures, usage, scope.limits.maxCost);
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(e, current);
    throw e;
  }
}

/** What a source that reads the environment must contain (a global, a system value, a metric). */
const ENVIRONMENT_TEXT = /\$|system|metric/i;

/**
 * A RangeError (the engine's own limits: a stack overflow) as a CompileError covering the
 * expression. The limits keep every tree they accept well inside the stack; this is for
 * hosts that call `compile` with little of it left.
 */
function tooDeep(e: RangeError, { source, part }: { source: string; part: BlockPart | undefined }): CompileError {
  const overflow = /call stack/i.test(e.message);
  const error = new CompileError({
    code: 'limit',
    message: overflow
      ? 'expression too deeply nested to compile on the stack left (lower limits.maxDepth or limits.maxNesting)'
      : `expression too large to compile: ${e.message}`,
    source,
    offset: 0,
    length: Math.max(1, source.length),
  });
  return part ? error.inPart(part) : error;
}

/** Parses, checks and optimises one string; its errors are attributed to its block part. */
function checkPart(source: string, part: BlockPart | undefined, scope: Scope, usage: Usage, totals: ParseTotals): CompiledPart {
  let ast;
  let checked;
  try {
    ast = parse(source, scope.limits, totals);
  } catch (e) {
    throw e instanceof CompileError ? attribute(lexicalHint(e, scope), part) : e;
  }
  const checker = new Checker(source, scope, usage, part);
  try {
    checked = checker.check(ast);
  } catch (e) {
    throw e instanceof CompileError ? attribute(e, part) : e;
  }
  return { part: part ?? { kind: 'else' }, source, checked, optimized: scope.optimize ? optimize(checked, scope.functions, checker) : checked };
}

/** An error of a block's string, attributed to its part. */
function attribute(e: CompileError, part: BlockPart | undefined): CompileError {
  return part && e.part === undefined ? e.inPart(part) : e;
}

/** The strings to compile in order (`if`, `then` of each condition, then `else`); a single expression has no part. */
function sourcesOf(input: string | BlockInput, maxConditions: number): Array<{ source: string; part: BlockPart | undefined }> {
  if (typeof input === 'string') return [{ source: input, part: undefined }];
  const block = normalizeBlock(input, maxConditions);
  const out: Array<{ source: string; part: BlockPart | undefined }> = [];
  block.conditions.forEach((c, i) => {
    out.push({ source: c.if, part: { kind: 'if', condition: i + 1 } }, { source: c.then, part: { kind: 'then', condition: i + 1 } });
  });
  if (block.else !== null) out.push({ source: block.else, part: { kind: 'else' } });
  return out;
}

/** The optimised trees of a block, condition by condition. */
function treesOf(parts: readonly CompiledPart[]): BlockTrees {
  const conditions: Array<readonly [CompiledPart['optimized'], CompiledPart['optimized']]> = [];
  let otherwise = null;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.part.kind === 'if') conditions.push([p.optimized, parts[++i]!.optimized]);
    else otherwise = p.optimized;
  }
  return { conditions, otherwise };
}
