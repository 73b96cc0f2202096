/** Guards for values parsed from JSON (configuration files, API requests, CLI flags). */

/** A plain JSON-style object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A string, or undefined for anything else (an absent flag, a boolean, a list). */
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

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

/** Line and column (1-based) of an offset in a text. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/**
 * JSON.parse that also refuses an object with the same key twice (JSON.parse keeps the last
 * one silently), with the position of the second.
 */
export function parseJsonStrict(text: string, what: string): unknown {
  const value = parseJson(text, what);
  // The text is valid JSON: a scan for strings and brackets is enough to find the keys.
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const keys = stack[stack.length - 1];
      if (keys && expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) throw new SyntaxError(`${what} has the key ${JSON.stringify(key)} twice (${position(text, start)})`);
        keys.add(key);
        expectKey = false;
      }
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return value;
}
