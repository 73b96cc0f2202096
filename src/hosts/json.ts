/** Guards for values parsed from JSON (configuration files, API requests, CLI flags). */

/** A plain JSON-style object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An own property of an object: inherited names (`constructor`, `__proto__`) are never keys. */
export function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** JSON.parse with a message that says what was being read. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}
