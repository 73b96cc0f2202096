/** A field's typed value as an operator reads it, in every tool's output. */

/** Lists of constants bare (`[plain, login]`), strings quoted, durations in ms, `none` for no string. */
export function showValue(type: string, value: unknown): string {
  if (value === undefined) return 'no value';
  if (value === null) return 'none';
  if (type === 'constantList' && Array.isArray(value)) return `[${value.join(', ')}]`;
  if (type === 'duration' && typeof value === 'number') return `${value} ms`;
  return JSON.stringify(value);
}
