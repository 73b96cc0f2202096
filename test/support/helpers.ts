/** Shared test helpers: the shared corpus location and canonical value comparison. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared folder beside the project (absent in some checkouts: tests using it skip). */
export const SHARED = join(ROOT, '..', 'shared');
export const HAS_SHARED_CORPUS = existsSync(join(SHARED, 'corpus', 'contexts.json'));

/** Canonical JSON equality: numbers by value (NaN equals NaN), constants by name, arrays elementwise. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object') {
    return (a as { constant?: string }).constant !== undefined && (a as { constant?: string }).constant === (b as { constant?: string }).constant;
  }
  return a === b;
}
