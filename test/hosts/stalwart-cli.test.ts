/**
 * The reference's CLI (stalwart-cli) against `mta-expr serve`, replayed request by request
 * from what its source sends for `get`, `update --field` (a whole block, and a
 * `name/path=value` key) and `describe`, each answer read the way that client reads it:
 * the checks below hold our answers to the shapes its serde types accept (required keys,
 * tag values, nothing else), and follow the same steps it takes with them.
 *
 * Before every command it reads the schema (`GET /api/schema` with no redirect followed:
 * a 3xx gives the digest in the last segment of Location, fetched at /api/schema/DIGEST),
 * then the session (`GET /jmap/session`: the core capability and apiUrl are required; the
 * API path is apiUrl's path). Method calls go to that path as
 * `{"using": [core, stalwart], "methodCalls": [[name, args, "c0"]]}`; the answer must
 * have exactly one method response, not an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, serve, type Served } from '../support/serve.js';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** A serde shape check: throws naming the path where the value does not fit. */
type Check = (v: unknown, path: string) => void;
const fail = (path: string, what: string): never => {
  throw new Error(`${path}: ${what}`);
};
const str: Check = (v, p) => void (typeof v !== 'string' && fail(p, 'expected a string'));
const bool: Check = (v, p) => void (typeof v !== 'boolean' && fail(p, 'expected a boolean'));
const uint: Check = (v, p) => void (!(typeof v === 'number' && Number.isInteger(v) && v >= 0) && fail(p, 'expected an unsigned integer'));
const oneOf = (...names: string[]): Check => (v, p) => void (!names.includes(v as string) && fail(p, `expected one of ${names.join(', ')}`));
const optional = (c: Check): Check => (v, p) => void (v !== undefined && v !== null && c(v, p));
const list = (c: Check): Check => (v, p) => (Array.isArray(v) ? v.forEach((x, i) => c(x, `${p}[${i}]`)) : fail(p, 'expected a list'));
const map = (c: Check): Check => (v, p) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).forEach(([k, x]) => c(x, `${p}.${k}`)) : fail(p, 'expected a map'));
/** A struct: required keys (absent is an error), `?`-suffixed optional ones; other keys are ignored, as serde does. */
const struct = (fields: Record<string, Check>): Check => (v, p) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(p, 'expected an object');
  for (const [key, c] of Object.entries(fields)) {
    const name = key.replace(/\?$/, '');
    const value = (v as Record<string, unknown>)[name];
    if (value === undefined && !key.endsWith('?')) fail(`${p}.${name}`, 'missing');
    if (value !== undefined) c(value, `${p}.${name}`);
  }
};
/** An internally tagged enum (`#[serde(tag = "type")]`). */
const tagged = (variants: Record<string, Record<string, Check>>): Check => (v, p) => {
  const tag = (v as { type?: unknown } | null)?.type;
  if (typeof tag !== 'string' || !(tag in variants)) return fail(`${p}.type`, `expected one of ${Object.keys(variants).join(', ')}`);
  struct(variants[tag]!)(v, p);
};

const STRING_FORMAT = oneOf('string', 'ipAddress', 'ipNetwork', 'socketAddress', 'emailAddress', 'secret', 'secretText', 'uri', 'color', 'text', 'html');
const NUMBER_FORMAT = oneOf('integer', 'unsignedInteger', 'float', 'size', 'duration');
const SCALAR = tagged({ string: { format: STRING_FORMAT, 'minLength?': uint, 'maxLength?': uint }, objectId: { objectName: str }, enum: { enumName: str } });
const FIELD_TYPE = tagged({
  string: { format: STRING_FORMAT, 'minLength?': uint, 'maxLength?': uint, 'nullable?': bool },
  number: { format: NUMBER_FORMAT, 'nullable?': bool },
  utcDateTime: { 'nullable?': bool },
  boolean: {},
  enum: { enumName: str, 'nullable?': bool },
  blobId: {},
  objectId: { objectName: str, 'nullable?': bool },
  object: { objectName: str, 'nullable?': bool },
  objectList: { objectName: str, 'minItems?': uint, 'maxItems?': uint },
  set: { class: SCALAR, 'minItems?': uint, 'maxItems?': uint },
  map: { keyClass: SCALAR, valueClass: tagged({ string: { format: STRING_FORMAT }, number: { format: NUMBER_FORMAT }, enum: { enumName: str }, object: { objectName: str } }) },
});
const SCHEMA = struct({
  objects: map(tagged({ singleton: { description: str, permissionPrefix: str, 'enterprise?': bool }, object: { description: str, permissionPrefix: str, 'enterprise?': bool }, view: { objectName: str } })),
  schemas: map(tagged({ single: { schemaName: str }, multiple: { variants: list(struct({ name: str, label: str, 'schemaName?': str })) } })),
  fields: map(struct({ 'properties?': map(struct({ description: str, type: FIELD_TYPE, update: oneOf('mutable', 'immutable', 'serverSet'), 'enterprise?': bool })), 'defaults?': map(() => undefined) })),
  forms: map(struct({ 'title?': str, 'subtitle?': str, sections: list(struct({ 'title?': str, fields: list(struct({ name: str, label: str, 'keyLabel?': str, 'valueLabel?': str, 'placeholder?': str })) })) })),
  lists: map(struct({ title: str, subtitle: str, singularName: str, pluralName: str, columns: list(struct({ name: str, label: str })) })),
  enums: map(list(struct({ name: str, label: str, 'explanation?': str, 'color?': str }))),
  dashboards: list(struct({ id: str, label: str })),
  layouts: list(struct({ name: str, icon: str, items: list(() => undefined) })),
});
const SESSION = struct({ 'capabilities?': struct({ 'urn:ietf:params:jmap:core?': struct({ 'maxObjectsInGet?': uint, 'maxObjectsInSet?': uint }) }), 'apiUrl?': str });
const RESPONSE = struct({ methodResponses: list((v, p) => (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[2] === 'string' ? undefined : fail(p, 'expected [name, value, id]'))), 'sessionState?': str, 'createdIds?': map(str) });
const SET_ERROR_TYPES = ['forbidden', 'overQuota', 'tooLarge', 'rateLimit', 'notFound', 'invalidPatch', 'willDestroy', 'invalidProperties', 'singleton', 'mailboxHasChild', 'mailboxHasEmail', 'blobNotFound', 'tooManyKeywords', 'tooManyMailboxes', 'forbiddenFrom', 'invalidEmail', 'tooManyRecipients', 'noRecipients', 'invalidRecipients', 'forbiddenMailFrom', 'forbiddenToSend', 'cannotUnsend', 'alreadyExists', 'invalidScript', 'scriptIsActive', 'addressBookHasContents', 'nodeHasChildren', 'calendarHasEvent', 'objectIsLinked', 'invalidForeignKey', 'primaryKeyViolation', 'validationFailed'];
const SET_ERROR = struct({ 'type?': oneOf(...SET_ERROR_TYPES), 'description?': optional(str), 'properties?': optional(list(str)), 'existingId?': optional(str), 'linkedObjects?': list(() => undefined), 'validationErrors?': list(() => undefined) });

interface Context {
  schema: any;
  apiPath: string;
}

/** What the client does before any command: the schema, then the session. */
async function init(s: Served): Promise<Context> {
  const first = await fetch(`${s.url}/api/schema`, { headers: AUTH, redirect: 'manual' });
  let schemaText: string;
  if (first.status >= 300 && first.status < 400) {
    const location = first.headers.get('location');
    expect(location, 'a redirect needs a Location').toBeTruthy();
    const digest = location!.split('/').pop()!;
    expect(digest).not.toBe('');
    const body = await fetch(`${s.url}/api/schema/${digest}`, { headers: AUTH, redirect: 'manual' });
    expect(body.status).toBe(200);
    expect([null, 'identity', 'gzip']).toContain(body.headers.get('content-encoding'));
    schemaText = await body.text();
  } else {
    expect(first.status).toBe(200);
    schemaText = await first.text();
  }
  const schema = JSON.parse(schemaText);
  SCHEMA(schema, 'schema');
  const res = await fetch(`${s.url}/jmap/session`, { headers: AUTH, redirect: 'manual' });
  expect(res.status).toBe(200);
  const session = (await res.json()) as any;
  SESSION(session, 'session');
  expect(session.capabilities['urn:ietf:params:jmap:core']).toBeDefined();
  expect(session.apiUrl).toBeDefined();
  const apiPath = /^https?:\/\/[^/]*(\/.*?)\/?$/i.exec(session.apiUrl)?.[1] ?? session.apiUrl.replace(/\/$/, '');
  return { schema, apiPath };
}

/** `jmap.call(method, args)`: one call as `c0`; the result, exactly one response, not an error. */
async function jmapCall(s: Served, ctx: Context, method: string, args: unknown): Promise<any> {
  const res = await fetch(`${s.url}${ctx.apiPath}`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'], methodCalls: [[method, args, 'c0']] }),
    redirect: 'manual',
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  RESPONSE(body, 'response');
  expect(body.methodResponses).toHaveLength(1);
  const [name, result] = body.methodResponses[0];
  expect(name, JSON.stringify(result)).not.toBe('error');
  return result;
}

/** `resolve::require_object`: the name with `x:`, matched in any case among the schema's objects. */
function requireObject(schema: any, raw: string): string {
  const candidate = /^x:/i.test(raw.trim()) ? `x:${raw.trim().slice(2)}` : `x:${raw.trim()}`;
  const key = Object.keys(schema.objects).find((k) => k.toLowerCase() === candidate.toLowerCase());
  expect(key, `unknown object: ${raw}`).toBeDefined();
  expect(schema.objects[key!].type).not.toBe('view');
  return key!;
}

const fieldsOf = (schema: any, canonical: string) => schema.fields[schema.schemas[canonical].schemaName];

describe('stalwart-cli against mta-expr serve', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('get MtaStageAuth (and --fields): the schema, the session, /get, and the object rendered from the schema', async () => {
    const ctx = await init(s);
    const canonical = requireObject(ctx.schema, 'mtastageauth');
    expect(canonical).toBe('x:MtaStageAuth');
    expect(ctx.schema.objects[canonical].type).toBe('singleton');
    const result = await jmapCall(s, ctx, `${canonical}/get`, { ids: ['singleton'], properties: null });
    expect(Array.isArray(result.list) && result.list.length > 0).toBe(true);
    const obj = result.list[0];
    expect(typeof obj).toBe('object');
    // Rendering: the form gives the order; an object-typed field is rendered with the fields of its schema.
    const fields = fieldsOf(ctx.schema, canonical);
    const order = ctx.schema.forms[canonical].sections.flatMap((sec: any) => sec.fields.map((f: any) => f.name)).filter((n: string) => n in fields.properties && n in obj);
    expect(order).toEqual(['maxFailures', 'waitOnFail', 'saslMechanisms', 'mustMatchSender', 'require']);
    for (const name of order) {
      const type = fields.properties[name].type;
      expect(type).toEqual({ type: 'object', objectName: 'x:Expression' });
      const nested = fieldsOf(ctx.schema, type.objectName);
      expect(Object.keys(nested.properties).sort()).toEqual(['else', 'match']);
      expect(typeof obj[name].else).toBe('string'); // a string<text>: printed as is
      expect(Array.isArray(obj[name].match)).toBe(true); // not an index-keyed map: printed as its JSON
    }
    // --fields maxfailures: canonicalised against the schema's properties.
    const wanted = Object.keys(fields.properties).find((k) => k.toLowerCase() === 'maxfailures');
    const some = await jmapCall(s, ctx, `${canonical}/get`, { ids: ['singleton'], properties: [wanted] });
    expect(some.list[0]).toEqual({ id: 'singleton', maxFailures: { match: [], else: '3' } });
  });

  it('update MtaStageAuth --field maxFailures={"match":[],"else":"5"}: a whole block', async () => {
    const ctx = await init(s);
    const canonical = requireObject(ctx.schema, 'MtaStageAuth');
    const result = await jmapCall(s, ctx, `${canonical}/set`, { update: { singleton: { maxFailures: { match: [], else: '5' } } } });
    expect(result.notUpdated?.singleton).toBeUndefined();
    expect(result.updated).toHaveProperty('singleton'); // "Updated MtaStageAuth singleton"
    expect((await jmapCall(s, ctx, `${canonical}/get`, { ids: ['singleton'], properties: ['maxFailures'] })).list[0].maxFailures).toEqual({ match: [], else: '5' });
  });

  it('update MtaStageAuth --field maxFailures/else=4 and saslMechanisms/match/0/then=…: name/path keys, the value coerced as it coerces them', async () => {
    const ctx = await init(s);
    const canonical = requireObject(ctx.schema, 'MtaStageAuth');
    // resolve_key: the head matched in any case, the rest kept; without a type, "4" is sent as the number 4.
    const result = await jmapCall(s, ctx, `${canonical}/set`, { update: { singleton: { 'maxFailures/else': 4, 'saslMechanisms/match/0/then': '[plain]' } } });
    expect(result.updated).toHaveProperty('singleton');
    const got = (await jmapCall(s, ctx, `${canonical}/get`, { ids: ['singleton'], properties: ['maxFailures', 'saslMechanisms'] })).list[0];
    expect(got.maxFailures).toEqual({ match: [], else: '4' });
    expect(got.saslMechanisms.match[0].then).toBe('[plain]');
  });

  it('a rejected update is a SetError it can parse, printed as error: TYPE, the description and the properties', async () => {
    const ctx = await init(s);
    for (const patch of [{ 'maxFailures/else': '4 +' }, { 'maxFailures/match/9/if': 'true' }, { nothing: null }]) {
      const result = await jmapCall(s, ctx, 'x:MtaStageAuth/set', { update: { singleton: patch } });
      const err = result.notUpdated?.singleton;
      expect(err, JSON.stringify(patch)).toBeDefined();
      SET_ERROR(err, 'notUpdated.singleton');
    }
  });

  it('describe MtaStageAuth: from the schema alone', async () => {
    const ctx = await init(s);
    const canonical = requireObject(ctx.schema, 'MtaStageAuth');
    const entry = ctx.schema.objects[canonical];
    expect(entry).toMatchObject({ type: 'singleton', description: expect.stringContaining('SMTP authentication') });
    const fields = fieldsOf(ctx.schema, canonical);
    // Each field: its name, the type summary (object<Expression>), the update mode, the description.
    for (const [name, f] of Object.entries<any>(fields.properties)) {
      expect(`${name} object<${f.type.objectName.replace(/^x:/, '')}> ${f.update}`).toBe(`${name} object<Expression> mutable`);
      expect(f.description.length).toBeGreaterThan(0);
    }
    // `describe MtaAuthTypeConstant` finds the constants as an enum.
    expect(Object.keys(ctx.schema.enums).find((k) => k.toLowerCase() === 'mtaauthtypeconstant')).toBe('MtaAuthTypeConstant');
  });

  it('the shape checks refuse what that client refuses', async () => {
    const ctx = await init(s);
    const { layouts: _, ...withoutLayouts } = ctx.schema;
    expect(() => SCHEMA(withoutLayouts, 'schema')).toThrow('schema.layouts: missing');
    expect(() => SCHEMA({ ...ctx.schema, objects: { 'x:A': { type: 'singleton', description: 'a' } } }, 'schema')).toThrow('permissionPrefix: missing');
    expect(() => SET_ERROR({ type: 'stateMismatch' }, 'e')).toThrow('e.type: expected one of');
    expect(() => SET_ERROR({ type: 'invalidPatch', linkedObjects: null }, 'e')).toThrow('e.linkedObjects: expected a list');
    expect(() => SESSION({ capabilities: { 'urn:ietf:params:jmap:core': { maxObjectsInGet: -1 } } }, 's')).toThrow('expected an unsigned integer');
  });
});
