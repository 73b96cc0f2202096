/** Limits on what one expression may be; exceeding one is a positioned compile error. */
export interface Limits {
  /** Longest accepted source, in UTF-16 code units. */
  maxSourceLength: number;
  /** Most tokens (an upper bound on AST nodes). */
  maxNodes: number;
  /** Deepest nesting of brackets, parentheses, calls and unary operators. */
  maxNesting: number;
  /** Deepest AST (long operator chains nest to the left). */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxSourceLength: 256 * 1024,
  maxNodes: 50_000,
  maxNesting: 64,
  maxDepth: 2_000,
});
