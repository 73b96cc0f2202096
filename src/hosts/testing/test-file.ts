/**
 * A policy test file (`mta-expr test`), read and checked completely before any case runs:
 * JSON with positions (json-source.ts), the structure against the JSON Schema
 * (test-file-schema.ts, with @cfworker/json-schema), then what the schema cannot say —
 * each expected field exists and its expected value can be read as the field's type. Every
 * fault is a TestFileError naming the file, the line and column, and the case.
 */
import { Validator, type OutputUnit } from '@cfworker/json-schema';
import { dirname, resolve } from 'node:path';
import { asDuration, CONSTANT_GROUPS } from '../../language/index.js';
import { fieldSchema, objectSchema, SCHEMA, type FieldType, type Schema } from '../config/schema.js';
import { isObject } from '../json.js';
import { JsonSource, JsonSourceError, type JsonPath } from './json-source.js';
import { TEST_FILE_SCHEMA } from './test-file-schema.js';

/** A fault in a test file, positioned. */
export class TestFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
    /** The case it is in, if any: its name quoted, or `#N`. */
    readonly caseName?: string,
  ) {
    super(`${file}:${line}:${column}: ${caseName !== undefined ? `case ${caseName}: ` : ''}${detail}`);
  }
}

/** A value a field must have (and whether it must give no value from its block). */
export interface FieldExpectation {
  object: string;
  field: string;
  type: FieldType;
  /** The expected value as the field's type; absent when only the error is expected. */
  value?: unknown;
  /** true: the block must give no value; false: it must give one; a string: a part of the reason. Absent: it must give one. */
  error?: boolean | string;
}

/** What a reply must be: its code, or lines it must have (each the start of a line, continuation marks aside). */
export type ReplyExpectation = { code: number } | { lines: string[] };

export interface SessionStep {
  /** The lines sent (an AUTH exchange is several). */
  lines: string[];
  /** The step as shown in reports (credentials hidden). */
  shown: string;
  reply?: ReplyExpectation;
  expect: FieldExpectation[];
}

export interface TestCase {
  name: string;
  /** Where the case starts in the file. */
  line: number;
  vars?: Record<string, unknown>;
  connection?: { remote_ip?: string; remote_port?: number; local_ip?: string; local_port?: number; listener?: string; tls?: boolean };
  session?: SessionStep[];
  expect: FieldExpectation[];
}

export interface TestFile {
  path: string;
  /** The configuration file the cases run on (resolved), absent for the defaults. */
  config?: string;
  hostname?: string;
  users: Array<{ username: string; password: string; addresses?: string[]; tokens?: string[] }>;
  lookups?: Record<string, unknown>;
  cases: TestCase[];
}

const validator = new Validator(TEST_FILE_SCHEMA as unknown as ConstructorParameters<typeof Validator>[0], '2020-12', false);

/** `#/cases/0/expect` → ['cases', 0, 'expect']. */
function pathOf(pointer: string): JsonPath {
  return pointer
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^(0|[1-9][0-9]*)$/.test(p) ? Number(p) : p));
}

/** The description of the schema an anyOf belongs to (its keyword location, `$ref`s followed). */
function anyOfDescription(keywordLocation: string): string | undefined {
  let node: unknown = TEST_FILE_SCHEMA;
  const segments = keywordLocation.replace(/^#\/?/, '').split('/').slice(0, -1);
  for (const seg of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      node = node[Number(seg)];
      continue;
    }
    const ref = (node as { $ref?: unknown }).$ref;
    if (seg === '$ref' && typeof ref === 'string') {
      node = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((n, k) => (isObject(n) ? n[k] : undefined), TEST_FILE_SCHEMA);
    } else node = (node as Record<string, unknown>)[seg];
  }
  return isObject(node) && typeof node.description === 'string' ? node.description : undefined;
}

/**
 * The fault worth showing, in plain words: errors inside the alternatives of an `anyOf`
 * say little (each alternative fails its own way), so the innermost `anyOf` that fails
 * speaks for them with its description; otherwise the innermost error.
 */
function schemaFault(errors: readonly OutputUnit[]): { path: JsonPath; message: string; key?: boolean } {
  const wrappers = new Set(['properties', 'items', 'prefixItems', '$ref', 'allOf', 'false', 'propertyNames']);
  const out: Array<{ path: JsonPath; message: string; key?: boolean }> = [];
  for (const e of errors) {
    const path = pathOf(e.instanceLocation);
    if (e.keyword === 'anyOf') {
      const d = anyOfDescription(e.keywordLocation);
      out.push({ path, message: d ? `expected ${d.charAt(0).toLowerCase()}${d.slice(1)}` : 'the value matches none of its allowed forms' });
      continue;
    }
    if (e.keywordLocation.includes('/anyOf/')) continue;
    if (e.keyword === 'propertyNames') {
      const name = /^Property name "(.*)" does not match schema\.$/.exec(e.error)?.[1];
      if (name !== undefined) out.push({ path: [...path, name], message: `${JSON.stringify(name)} is not a field name of the form Object.field`, key: true });
      continue;
    }
    if (e.keywordLocation.includes('/propertyNames/')) continue;
    if (e.keyword === 'additionalProperties') {
      const name = /^Property "(.*)" does not match additional properties schema\.$/.exec(e.error)?.[1];
      if (name !== undefined) out.push({ path: [...path, name], message: `unknown property ${JSON.stringify(name)}`, key: true });
      continue;
    }
    if (wrappers.has(e.keyword)) continue;
    const missing = e.keyword === 'required' ? /required property "(.*)"/.exec(e.error)?.[1] : undefined;
    if (missing !== undefined) {
      out.push({ path, message: `${path.length > 0 ? `${path.join('.')}: ` : ''}missing the property ${JSON.stringify(missing)}` });
      continue;
    }
    out.push({ path, message: `${path.length > 0 ? `${path.join('.')}: ` : ''}${e.error.replace(/^Instance /, 'the value ')}` });
  }
  const depth = Math.max(...out.map((f) => f.path.length));
  return out.find((f) => f.path.length === depth) ?? { path: [], message: 'the file does not match the test file schema' };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** The lines of an AUTH step. */
function authLines(a: { mechanism: string; username: string; password?: string; token?: string }): string[] {
  switch (a.mechanism) {
    case 'PLAIN':
      return [`AUTH PLAIN ${b64(`\0${a.username}\0${a.password ?? ''}`)}`];
    case 'LOGIN':
      return ['AUTH LOGIN', b64(a.username), b64(a.password ?? '')];
    case 'XOAUTH2':
      return [`AUTH XOAUTH2 ${b64(`user=${a.username}\x01auth=Bearer ${a.token ?? ''}\x01\x01`)}`];
    default:
      return [`AUTH OAUTHBEARER ${b64(`n,a=${a.username},\x01auth=Bearer ${a.token ?? ''}\x01\x01`)}`];
  }
}

/** Loads and checks a test file; throws TestFileError (or an error reading the file). */
export function parseTestFile(path: string, text: string, schema: Schema = SCHEMA): TestFile {
  let source: JsonSource;
  try {
    source = new JsonSource(path, text);
  } catch (e) {
    if (e instanceof JsonSourceError) throw new TestFileError(e.file, e.line, e.column, e.detail);
    throw e;
  }
  const json = source.value;
  const caseLabel = (p: JsonPath): string | undefined => {
    if (p[0] !== 'cases' || typeof p[1] !== 'number' || !isObject(json) || !Array.isArray(json.cases)) return undefined;
    const c = json.cases[p[1]] as unknown;
    return isObject(c) && typeof c.name === 'string' ? JSON.stringify(c.name) : `#${p[1] + 1}`;
  };
  /** A fault at a value, or at its key (a property that should not be there, a field name). */
  const fault = (p: JsonPath, message: string, key = false): TestFileError => {
    const { line, column } = source.locate(p, key);
    return new TestFileError(path, line, column, message, caseLabel(p));
  };
  const result = validator.validate(json);
  if (!result.valid) {
    const f = schemaFault(result.errors);
    throw fault(f.path, f.message, f.key === true);
  }
  const file = json as {
    config?: string;
    hostname?: string;
    users?: TestFile['users'];
    lookups?: Record<string, unknown>;
    cases: Array<{ name: string; vars?: Record<string, unknown>; connection?: TestCase['connection']; session?: unknown[]; expect?: Record<string, unknown> }>;
  };

  const expectations = (expect: Record<string, unknown> | undefined, at: JsonPath): FieldExpectation[] =>
    Object.entries(expect ?? {}).map(([name, given]) => {
      const p = [...at, name];
      const [objectName, fieldName] = name.split('.') as [string, string];
      const object = objectSchema(schema, objectName);
      if (object === undefined) throw fault(p, `${name}: no object ${objectName} (the objects: ${Object.keys(schema).join(', ')})`, true);
      const f = fieldSchema(object, fieldName);
      if (f === undefined) throw fault(p, `${name}: ${objectName} has no field ${fieldName} (its fields: ${Object.keys(object.fields).join(', ')})`, true);
      const detailed = isObject(given);
      const out: FieldExpectation = { object: objectName, field: fieldName, type: f.type };
      if (detailed && given.error !== undefined) out.error = given.error as boolean | string;
      const hasValue = detailed ? Object.prototype.hasOwnProperty.call(given, 'value') : true;
      if (hasValue) {
        const raw = detailed ? given.value : given;
        const read = expectedValue(f.type, raw, f.constants);
        if (typeof read === 'string') throw fault(detailed ? [...p, 'value'] : p, `${name}: ${read}`);
        out.value = read.value;
      } else if (out.error === undefined || out.error === false) {
        throw fault(p, `${name}: give the value, the error, or both`);
      }
      return out;
    });

  const cases = file.cases.map((c, i): TestCase => {
    const at: JsonPath = ['cases', i];
    if (c.vars !== undefined && c.session !== undefined) throw fault([...at, 'session'], 'give vars or a session, not both');
    if (c.connection !== undefined && c.session === undefined) throw fault([...at, 'connection'], 'connection goes with a session');
    const expect = expectations(c.expect, [...at, 'expect']);
    const out: TestCase = { name: c.name, line: source.locate(at).line, expect };
    if (c.session !== undefined) {
      out.session = c.session.map((step, j): SessionStep => {
        const sp = [...at, 'session', j];
        if (typeof step === 'string') return { lines: [step], shown: step, expect: [] };
        const s = step as { send?: string; auth?: Parameters<typeof authLines>[0]; reply?: unknown; expect?: Record<string, unknown> };
        if (s.auth && (s.auth.mechanism === 'PLAIN' || s.auth.mechanism === 'LOGIN') ? s.auth.password === undefined : s.auth !== undefined && s.auth.token === undefined) {
          throw fault([...sp, 'auth'], `AUTH ${s.auth!.mechanism} needs ${s.auth!.mechanism === 'PLAIN' || s.auth!.mechanism === 'LOGIN' ? 'a password' : 'a token'}`);
        }
        if (typeof s.send === 'string' && /[\r\n]/.test(s.send)) throw fault([...sp, 'send'], 'a line cannot contain CR or LF');
        const lines = s.auth ? authLines(s.auth) : [s.send!];
        const reply = s.reply === undefined ? undefined : typeof s.reply === 'number' ? { code: s.reply } : { lines: typeof s.reply === 'string' ? [s.reply] : (s.reply as string[]) };
        return { lines, shown: s.auth ? `AUTH ${s.auth.mechanism} as ${s.auth.username}` : s.send!, ...(reply ? { reply } : {}), expect: expectations(s.expect, [...sp, 'expect']) };
      });
      if (c.connection) out.connection = c.connection;
    } else {
      out.vars = c.vars ?? {};
      if (expect.length === 0) throw fault(at, 'the case expects nothing: give expect, or a session');
    }
    return out;
  });
  const names = new Map<string, number>();
  cases.forEach((c, i) => {
    if (names.has(c.name)) throw fault(['cases', i, 'name'], `the name is also case #${names.get(c.name)! + 1}'s`);
    names.set(c.name, i);
  });
  return {
    path,
    ...(file.config !== undefined ? { config: resolve(dirname(path), file.config) } : {}),
    ...(file.hostname !== undefined ? { hostname: file.hostname } : {}),
    users: file.users ?? [],
    ...(file.lookups !== undefined ? { lookups: file.lookups } : {}),
    cases,
  };
}

/** An expected value read as the field's type, or why it cannot be. */
function expectedValue(type: FieldType, v: unknown, constants: string | null): { value: unknown } | string {
  switch (type) {
    case 'boolean':
      return typeof v === 'boolean' ? { value: v } : `expected a boolean (true or false), not ${JSON.stringify(v)}`;
    case 'integer':
      return Number.isInteger(v) ? { value: v } : `expected an integer, not ${JSON.stringify(v)}`;
    case 'duration': {
      const ms = typeof v === 'string' || typeof v === 'number' ? asDuration(v) : undefined;
      return ms !== undefined ? { value: ms } : `expected a duration (milliseconds, or a text such as "5s"), not ${JSON.stringify(v)}`;
    }
    case 'string':
      return typeof v === 'string' ? { value: v } : `expected a string, not ${JSON.stringify(v)}`;
    case 'optionalString':
      return typeof v === 'string' || v === null ? { value: v } : `expected a string or null (none), not ${JSON.stringify(v)}`;
    case 'list':
      return Array.isArray(v) ? { value: v } : `expected a list, not ${JSON.stringify(v)}`;
    default: {
      const allowed = constants ? CONSTANT_GROUPS[constants] : undefined;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return `expected a list of constants such as ["plain", "login"], not ${JSON.stringify(v)}`;
      const bad = (v as string[]).filter((x) => allowed !== undefined && !allowed.includes(x));
      if (bad.length > 0) return `${bad.map((b) => JSON.stringify(b)).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${constants ?? ''} (${(allowed ?? []).join(', ')})`;
      return { value: v };
    }
  }
}
