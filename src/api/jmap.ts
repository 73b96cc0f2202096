/**
 * JMAP (RFC 8620) for the configuration objects: `x:<Object>/get` and `x:<Object>/set` for
 * each singleton of the schema, under the capability `urn:stalwart:jmap`. Request-level
 * problems are HTTP 400 problem details (notJSON, notRequest, unknownCapability, limit);
 * method-level problems are `error` responses (unknownMethod, invalidArguments, forbidden,
 * stateMismatch); a rejected update is a SetError in `notUpdated`.
 */
import type { BlockInput } from '../block.js';
import { SCHEMA } from '../config/schema.js';
import { isObject } from '../values.js';
import type { LiveConfig } from './live-config.js';

export const CORE = 'urn:ietf:params:jmap:core';
export const STALWART = 'urn:stalwart:jmap';
const KNOWN_CAPABILITIES = new Set([CORE, STALWART]);
export const SESSION_STATE = 'mta-expr-0';
const SINGLETON = 'singleton';

export interface HttpAnswer {
  status: number;
  body: unknown;
}

function problem(type: string, detail: string, extra: Record<string, unknown> = {}): HttpAnswer {
  return { status: 400, body: { type: `urn:ietf:params:jmap:error:${type}`, status: 400, detail, ...extra } };
}

type Invocation = [string, Record<string, unknown>, string];
type MethodError = { type: string; description?: string };


class ArgumentError extends Error {}

function checkKeys(args: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(args).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new ArgumentError(`unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}

function stringList(v: unknown, name: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ArgumentError(`${name} must be null or a list of strings`);
  return v as string[];
}

/** One JMAP API request: the body text and the caller's permissions. */
export async function handleJmap(text: string, permissions: ReadonlySet<string>, live: LiveConfig): Promise<HttpAnswer> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (e) {
    return problem('notJSON', `The request body is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(request)) return problem('notRequest', 'The request must be a JSON object with `using` and `methodCalls`.');
  const { using, methodCalls } = request;
  if (!Array.isArray(using) || !using.every((u) => typeof u === 'string')) return problem('notRequest', '`using` must be a list of capability URIs.');
  if (!Array.isArray(methodCalls) || !methodCalls.every((c) => Array.isArray(c) && c.length === 3 && typeof c[0] === 'string' && isObject(c[1]) && typeof c[2] === 'string')) {
    return problem('notRequest', '`methodCalls` must be a list of [name, arguments, callId] invocations.');
  }
  const unknownCapability = (using as string[]).find((u) => !KNOWN_CAPABILITIES.has(u));
  if (unknownCapability !== undefined) return problem('unknownCapability', `Unknown capability: ${unknownCapability}`);
  const capabilities = new Set(using as string[]);
  const methodResponses: Invocation[] = [];
  for (const [name, args, callId] of methodCalls as Invocation[]) {
    const error = (type: string, description?: string): void => {
      methodResponses.push(['error', description ? { type, description } : { type }, callId]);
    };
    const m = /^x:([A-Za-z]+)\/(get|set)$/.exec(name);
    const objectName = m?.[1];
    if (!m || objectName === undefined || !Object.prototype.hasOwnProperty.call(SCHEMA, objectName) || !capabilities.has(STALWART) || !capabilities.has(CORE)) {
      error('unknownMethod', m && objectName && Object.prototype.hasOwnProperty.call(SCHEMA, objectName) ? `${name} needs the capabilities ${CORE} and ${STALWART}` : `Unknown method ${name}`);
      continue;
    }
    try {
      if (Object.keys(args).some((k) => k.startsWith('#'))) throw new ArgumentError('result references are not supported');
      const result = m[2] === 'get' ? get(objectName, args, permissions, live) : await set(objectName, args, permissions, live);
      if ('type' in result && typeof result.type === 'string') error(result.type, (result as MethodError).description);
      else methodResponses.push([name, result as Record<string, unknown>, callId]);
    } catch (e) {
      if (e instanceof ArgumentError) error('invalidArguments', e.message);
      else error('serverFail', e instanceof Error ? e.message : String(e));
    }
  }
  return { status: 200, body: { methodResponses, sessionState: SESSION_STATE } };
}

function get(objectName: string, args: Record<string, unknown>, permissions: ReadonlySet<string>, live: LiveConfig): Record<string, unknown> | MethodError {
  checkKeys(args, ['accountId', 'ids', 'properties']);
  const ids = stringList(args.ids, 'ids');
  const properties = stringList(args.properties, 'properties');
  const fields = Object.keys(SCHEMA[objectName]!.fields);
  const unknown = (properties ?? []).filter((p) => p !== 'id' && !fields.includes(p));
  if (unknown.length > 0) throw new ArgumentError(`unknown propert${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`);
  if (!permissions.has(`sys${objectName}Get`)) return { type: 'forbidden', description: `this token lacks the permission sys${objectName}Get` };
  const object = live.object(objectName);
  const state = live.state;
  const wanted = properties ?? fields;
  const record: Record<string, unknown> = { id: SINGLETON };
  for (const f of wanted) if (f !== 'id') record[f] = object.block(f);
  const list = ids === null || ids.includes(SINGLETON) ? [record] : [];
  const notFound = ids === null ? [] : [...new Set(ids.filter((id) => id !== SINGLETON))];
  return { accountId: args.accountId ?? null, state, list, notFound };
}

async function set(objectName: string, args: Record<string, unknown>, permissions: ReadonlySet<string>, live: LiveConfig): Promise<Record<string, unknown> | MethodError> {
  checkKeys(args, ['accountId', 'ifInState', 'create', 'update', 'destroy']);
  const { ifInState, create, update, destroy } = args;
  if (ifInState !== undefined && ifInState !== null && typeof ifInState !== 'string') throw new ArgumentError('ifInState must be a string or null');
  if (create !== undefined && create !== null && !isObject(create)) throw new ArgumentError('create must be an object or null');
  if (update !== undefined && update !== null && !isObject(update)) throw new ArgumentError('update must be an object or null');
  const destroyIds = stringList(destroy, 'destroy') ?? [];
  if (!permissions.has(`sys${objectName}Update`)) return { type: 'forbidden', description: `this token lacks the permission sys${objectName}Update` };
  let oldState = live.state;
  if (typeof ifInState === 'string' && ifInState !== oldState) return { type: 'stateMismatch', description: `the state is ${oldState}, not ${ifInState}` };
  const notCreated: Record<string, MethodError> = {};
  for (const id of Object.keys(create ?? {})) {
    notCreated[id] = { type: 'singleton', description: `${objectName} is a singleton: it cannot be created; update "singleton" instead` };
  }
  const notDestroyed: Record<string, MethodError> = {};
  for (const id of destroyIds) notDestroyed[id] = { type: 'singleton', description: `${objectName} is a singleton: it cannot be destroyed` };
  const updated: Record<string, null> = {};
  const notUpdated: Record<string, MethodError & { properties?: string[] }> = {};
  let newState: string | undefined;
  for (const [id, patch] of Object.entries((update ?? {}) as Record<string, unknown>)) {
    if (id !== SINGLETON) {
      notUpdated[id] = { type: 'notFound', description: `${objectName} has only the id "singleton"` };
      continue;
    }
    if (!isObject(patch)) {
      notUpdated[id] = { type: 'invalidPatch', description: 'the patch must be an object of properties' };
      continue;
    }
    const wrongType = Object.entries(patch).filter(([, v]) => v !== null && !isObject(v)).map(([k]) => k);
    if (wrongType.length > 0) {
      notUpdated[id] = { type: 'invalidProperties', properties: wrongType, description: `an expression property is an object {"match": [...], "else": "..."} or null: ${wrongType.join(', ')}` };
      continue;
    }
    const result = await live.update(objectName, patch as Record<string, BlockInput | null>, typeof ifInState === 'string' ? ifInState : undefined);
    if (result.ok) {
      // Updates are serialised: the state this one replaced is the one to report.
      updated[id] = null;
      oldState = result.oldState;
      newState = result.newState;
    } else if (result.stateMismatch) {
      return { type: 'stateMismatch', description: `the state is ${result.state}, not ${ifInState}` };
    } else {
      notUpdated[id] = { type: 'invalidProperties', properties: result.properties, description: result.description };
    }
  }
  const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length > 0 ? o : null);
  return {
    accountId: args.accountId ?? null,
    oldState,
    newState: newState ?? oldState,
    created: null,
    updated: orNull(updated),
    destroyed: null,
    notCreated: orNull(notCreated),
    notUpdated: orNull(notUpdated),
    notDestroyed: orNull(notDestroyed),
  };
}
