/** Guards for values parsed from JSON (configuration files, API requests, CLI flags). */
import { asDuration } from '../language/index.js';

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

/** A faulty setting of a JSON configuration: where it is (`stores.main.url`) and why. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/**
 * The settings of one JSON object, read by name with their types checked; every fault is a
 * SettingsError naming the setting's path. Unknown keys are refused (a misspelt `timeout`
 * would otherwise be silently ignored).
 */
export class Settings {
  private constructor(
    private readonly json: Record<string, unknown>,
    /** Where the object is in the configuration (`stores.main`). */
    readonly path: string,
  ) {}

  /** The object at `path`; refuses a value that is not an object or has keys outside `allowed`. */
  static of(value: unknown, path: string, allowed: readonly string[]): Settings {
    if (!isObject(value)) throw new SettingsError(path, 'must be an object');
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) throw new SettingsError(`${path}.${key}`, `unknown setting (expected ${allowed.join(', ')})`);
    }
    return new Settings(value, path);
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return hasOwn(this.json, key) && this.json[key] !== undefined;
  }

  raw(key: string): unknown {
    return hasOwn(this.json, key) ? this.json[key] : undefined;
  }

  string(key: string): string | undefined;
  string(key: string, fallback: string): string;
  string(key: string, fallback?: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') throw new SettingsError(this.at(key), 'must be a non-empty string');
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined) throw new SettingsError(this.at(key), 'is required');
    return v;
  }

  /** A whole number within [min, max]. */
  integer(key: string, fallback: number, min: number, max: number): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SettingsError(this.at(key), `must be a whole number from ${min} to ${max}`);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new SettingsError(this.at(key), 'must be true or false');
    return v;
  }

  /** Milliseconds, written as a duration (`'500ms'`, `'2s'`, `'1m'`) or a number of milliseconds; `allowZero` accepts 0 (`'0s'`). */
  duration(key: string, fallback: number, allowZero = false): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (allowZero && (v === 0 || (typeof v === 'string' && /^0+(?:ms|s|m|h|d)?$/.test(v.trim())))) return 0;
    const ms = typeof v === 'string' || typeof v === 'number' ? asDuration(v) : undefined;
    if (ms === undefined) throw new SettingsError(this.at(key), `must be a duration such as '500ms', '2s' or '1m'${allowZero ? ', or 0' : ''}`);
    return ms;
  }

  strings(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) throw new SettingsError(this.at(key), 'must be a list of non-empty strings');
    return v as string[];
  }

  /** One of the given words. */
  choice<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw new SettingsError(this.at(key), `must be one of ${choices.join(', ')}`);
    return v as T;
  }
}
