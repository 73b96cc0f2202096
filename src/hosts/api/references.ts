/**
 * Result references (RFC 8620 §3.7): an argument `#name` whose value is
 * `{resultOf, name, path}` takes its value from the response of an earlier call of the same
 * request, found by call id and response name, at a JSON Pointer path where `*` maps over
 * the items of a list (and flattens lists of lists).
 */
import { hasOwn, isObject } from '../json.js';
import { ArgumentError } from './methods.js';

export type Invocation = [string, Record<string, unknown>, string];

/** A reference that does not resolve: answered as `invalidResultReference`. */
export class ResultReferenceError extends Error {}

/** Evaluates a JSON Pointer with `*` on a value. */
export function evaluatePointer(value: unknown, path: string): unknown {
  if (path === '') return value;
  if (!path.startsWith('/')) throw new ResultReferenceError(`the path \`${path}\` does not start with /`);
  const tokens = path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  const walk = (v: unknown, i: number): unknown => {
    if (i === tokens.length) return v;
    const t = tokens[i]!;
    if (Array.isArray(v)) {
      if (t === '*') {
        return v.flatMap((item) => {
          const r = walk(item, i + 1);
          return Array.isArray(r) ? r : [r];
        });
      }
      if (!/^(0|[1-9][0-9]*)$/.test(t) || Number(t) >= v.length) throw new ResultReferenceError(`${path}: no item ${t} in a list of ${v.length}`);
      return walk(v[Number(t)], i + 1);
    }
    if (isObject(v) && hasOwn(v, t)) return walk(v[t], i + 1);
    throw new ResultReferenceError(`${path}: nothing at \`${t}\``);
  };
  return walk(value, 0);
}

/**
 * The arguments with their references resolved against the responses so far. Throws
 * ResultReferenceError for a reference that does not resolve, ArgumentError when an argument is given
 * both plainly and by reference.
 */
export function resolveReferences(args: Record<string, unknown>, responses: readonly Invocation[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(args)) {
    if (!key.startsWith('#')) {
      out[key] = value;
      continue;
    }
    const name = key.slice(1);
    if (hasOwn(args, name)) throw new ArgumentError(`\`${name}\` is given both plainly and as the reference \`${key}\``);
    if (!isObject(value) || typeof value.resultOf !== 'string' || typeof value.name !== 'string' || typeof value.path !== 'string') {
      throw new ResultReferenceError(`${key} must be a result reference {"resultOf", "name", "path"}`);
    }
    const source = responses.find((r) => r[2] === value.resultOf && r[0] === value.name);
    if (source === undefined) throw new ResultReferenceError(`${key}: no earlier response ${value.name} of the call ${value.resultOf}`);
    out[name] = evaluatePointer(source[1], value.path);
  }
  return out;
}
