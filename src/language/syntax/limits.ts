/**
 * Limits on what one program may be and cost. Compiling past a limit is a positioned
 * compile error; an evaluation past `maxCost` (or building a value past the sizes of
 * runtime/sizes.ts) fails with an EvaluationError. Every limit has an upper bound
 * (MAX_LIMITS): within them the compiler and the evaluation stay inside the stack, the
 * memory and the time they are meant to take.
 */
export interface Limits {
  /** Longest accepted source, in UTF-16 code units: for a block, all its expressions together. */
  maxSourceLength: number;
  /** Most tokens (an upper bound on AST nodes): for a block, all its expressions together. */
  maxNodes: number;
  /** Deepest nesting of brackets, parentheses, calls and unary operators. */
  maxNesting: number;
  /** Deepest AST (long operator chains nest to the left). */
  maxDepth: number;
  /** Most conditions of a block. */
  maxConditions: number;
  /**
   * Largest regular-expression programs, in RE2 instructions, for all the `matches`
   * patterns of a program together (each at least 32; a Unicode class `\p…` in a pattern
   * counts 32 more, as it is costly to build).
   */
  maxRegexSize: number;
  /** Longest value `matches` searches, in UTF-16 code units; a longer one fails the evaluation. */
  maxMatchLength: number;
  /** Most cost units one evaluation may spend (about 100 ns each: 1,000,000 ≈ 0.1 s). */
  maxCost: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxSourceLength: 256 * 1024,
  // Parsing is about 1 µs a token: with 20,000 tokens and maxRegexSize, the largest program
  // compiles in about 50 ms (bench/hostile.mjs).
  maxNodes: 20_000,
  maxNesting: 64,
  maxDepth: 2_000,
  maxConditions: 1_000,
  maxRegexSize: 10_000,
  maxMatchLength: 64 * 1024,
  maxCost: 1_000_000,
});

/** The largest value each limit accepts. */
export const MAX_LIMITS: Readonly<Limits> = Object.freeze({
  maxSourceLength: 1024 * 1024,
  maxNodes: 200_000,
  // The parser takes about 7 KB of stack per level of nesting, the closures a few hundred
  // bytes per level of depth: at these bounds a compile or an evaluation uses at most about
  // half of Node's default stack.
  maxNesting: 64,
  maxDepth: 2_000,
  maxConditions: 10_000,
  maxRegexSize: 100_000,
  maxMatchLength: 1024 * 1024,
  maxCost: 100_000_000,
});
