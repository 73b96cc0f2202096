/** "Did you mean": the nearest known name, and short lists of names for messages. */
import { distance } from 'fastest-levenshtein';

/** The candidate closest to `name` by edit distance (at most a third of its length away), if any. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3));
  for (const c of candidates) {
    if (Math.abs(c.length - name.length) > limit) continue;
    const d = distance(name, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `a, b, c, … (N in all)`, or `none`. */
export function listNames(names: Iterable<string>, max = 12): string {
  const all = [...names];
  const shown = all.slice(0, max).join(', ');
  return all.length > max ? `${shown}, … (${all.length} in all)` : shown || 'none';
}
