/** Applying a warning's fix to the source it was found in, in the input's shape. */
import type { BlockInput, Diagnostic } from '../../src/language/index.js';

/** The expression or block with `d`'s fix applied in its part (a block of an `else` alone reports no part). */
export function applyFix<T extends string | BlockInput>(input: T, d: Diagnostic): T {
  const fixed = d.source.slice(0, d.fix!.span.start) + d.fix!.replacement + d.source.slice(d.fix!.span.end);
  if (typeof input === 'string') return fixed as T;
  const block = input as BlockInput;
  const match = (block.match as Array<{ if: string; then: string }>).map((c, i) => ({
    if: d.part?.kind === 'if' && d.part.condition === i + 1 ? fixed : c.if,
    then: d.part?.kind === 'then' && d.part.condition === i + 1 ? fixed : c.then,
  }));
  return { match, else: d.part === undefined || d.part.kind === 'else' ? fixed : block.else } as unknown as T;
}
