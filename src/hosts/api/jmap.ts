/**
 * JMAP (RFC 8620) for the configuration objects, the request envelope: `using`,
 * `methodCalls` and `createdIds` in, `methodResponses`, `createdIds` and `sessionState`
 * out. Request-level problems are HTTP 400 problem details (notJSON, notRequest,
 * unknownCapability, limit); method-level problems are `error` responses (unknownMethod,
 * invalidArguments, invalidResultReference, serverFail, and what the methods answer).
 *
 * With `urn:mta-expr:jmap:atomic` in `using`, the request runs in one transaction: its
 * changes take effect together when no call is rejected, and none of them otherwise (each
 * `/set` that had succeeded then answers the method error `rolledBack`).
 */
import type { ConfigTransaction, ConfigView, LiveConfig } from '../config/live.js';
import { objectSchema } from '../config/schema.js';
import { isObject } from '../json.js';
import { ArgumentError, changes, get, history, set, type MethodContext, type MethodError } from './methods.js';
import { resolveReferences, ResultReferenceError, type Invocation } from './references.js';
import { ATOMIC, CAPABILITIES, CORE, HISTORY, sessionState, STALWART, type ApiLimits } from './session.js';
import type { Caller } from './tokens.js';

export { CORE, STALWART } from './session.js';

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export function problem(type: string, detail: string, extra: Record<string, unknown> = {}): HttpAnswer {
  return { status: 400, body: { type: `urn:ietf:params:jmap:error:${type}`, status: 400, detail, ...extra } };
}

const METHODS = {
  get: { capability: STALWART, run: get },
  set: { capability: STALWART, run: set },
  changes: { capability: STALWART, run: changes },
  history: { capability: HISTORY, run: history },
} as const;

const isMethodError = (r: Record<string, unknown> | MethodError): r is MethodError => typeof r.type === 'string';

/** A `/set` answer that rejected something. */
const rejects = (r: Invocation): boolean => r[0] === 'error' || (r[0].endsWith('/set') && ['notCreated', 'notUpdated', 'notDestroyed'].some((k) => r[1][k] !== null && r[1][k] !== undefined));

/** The request, checked; or the problem with it. */
function parseRequest(text: string, limits: ApiLimits): { calls: Invocation[]; using: Set<string>; createdIds: Record<string, string> | null } | HttpAnswer {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (e) {
    return problem('notJSON', `The request body is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(request)) return problem('notRequest', 'The request must be a JSON object with `using` and `methodCalls`.');
  const { using, methodCalls, createdIds } = request;
  if (!Array.isArray(using) || !using.every((u) => typeof u === 'string')) return problem('notRequest', '`using` must be a list of capability URIs.');
  if (!Array.isArray(methodCalls) || !methodCalls.every((c) => Array.isArray(c) && c.length === 3 && typeof c[0] === 'string' && isObject(c[1]) && typeof c[2] === 'string')) {
    return problem('notRequest', '`methodCalls` must be a list of [name, arguments, callId] invocations.');
  }
  if (createdIds !== undefined && createdIds !== null && !(isObject(createdIds) && Object.values(createdIds).every((v) => typeof v === 'string'))) {
    return problem('notRequest', '`createdIds` must be an object of creation ids and ids.');
  }
  const unknownCapability = (using as string[]).find((u) => !CAPABILITIES.includes(u));
  if (unknownCapability !== undefined) return problem('unknownCapability', `Unknown capability: ${unknownCapability}`);
  if (methodCalls.length > limits.maxCallsInRequest) {
    return problem('limit', `The request has ${methodCalls.length} method calls; the limit is ${limits.maxCallsInRequest}.`, { limit: 'maxCallsInRequest' });
  }
  const ids = createdIds === undefined || createdIds === null ? null : Object.assign(Object.create(null) as Record<string, string>, createdIds);
  return { calls: methodCalls as Invocation[], using: new Set(using as string[]), createdIds: ids };
}

/** Runs the calls in order, each with the responses of the earlier ones for its references. */
async function runCalls(calls: Invocation[], using: Set<string>, context: MethodContext): Promise<Invocation[]> {
  const responses: Invocation[] = [];
  for (const [name, rawArgs, callId] of calls) {
    const error = (type: string, description?: string): void => {
      responses.push(['error', description ? { type, description } : { type }, callId]);
    };
    const m = /^x:([A-Za-z]+)\/([a-z]+)$/.exec(name);
    const objectName = m?.[1];
    const method = m && Object.hasOwn(METHODS, m[2]!) ? METHODS[m[2] as keyof typeof METHODS] : undefined;
    const known = objectName !== undefined && method !== undefined && objectSchema(context.view.schema, objectName) !== undefined;
    if (!known || !using.has(CORE) || !using.has(method.capability)) {
      error('unknownMethod', known ? `${name} needs the capabilities ${CORE} and ${method.capability}` : `Unknown method ${name}`);
      continue;
    }
    try {
      const args = resolveReferences(rawArgs, responses);
      const result = await method.run(objectName, args, context);
      if (isMethodError(result)) error(result.type, result.description);
      else responses.push([name, result, callId]);
    } catch (e) {
      if (e instanceof ArgumentError) error('invalidArguments', e.message);
      else if (e instanceof ResultReferenceError) error('invalidResultReference', e.message);
      else error('serverFail', e instanceof Error ? e.message : String(e));
    }
  }
  return responses;
}

/** One JMAP API request: the body text and the caller. */
export async function handleJmap(text: string, caller: Caller, live: LiveConfig, limits: ApiLimits): Promise<HttpAnswer> {
  const request = parseRequest(text, limits);
  if ('status' in request) return request;
  const { calls, using, createdIds } = request;
  const base = { caller, limits, createdIds: createdIds ?? (Object.create(null) as Record<string, string>) };
  let methodResponses: Invocation[];
  if (using.has(ATOMIC)) {
    methodResponses = await live.transaction(
      caller.name,
      async (tx) => runCalls(calls, using, { ...base, view: tx, change: async <T>(fn: (t: ConfigTransaction) => T) => fn(tx) }),
      (responses) => !responses.some(rejects),
    );
    const failed = methodResponses.find(rejects);
    if (failed) {
      methodResponses = methodResponses.map((r): Invocation =>
        r[0].endsWith('/set') && !rejects(r) ? ['error', { type: 'rolledBack', description: `not applied: the call ${failed[2]} was rejected, and the request is atomic` }, r[2]] : r,
      );
    }
  } else {
    const view: ConfigView = live;
    methodResponses = await runCalls(calls, using, { ...base, view, change: (fn) => live.transaction(caller.name, fn) });
  }
  const body: Record<string, unknown> = { methodResponses, sessionState: sessionState(caller, live.schema, limits) };
  if (createdIds !== null) body.createdIds = createdIds;
  return { status: 200, body };
}
