/**
 * JMAP (RFC 8620) for the configuration objects, the request envelope: `using`,
 * `methodCalls` and `createdIds` in, `methodResponses`, `createdIds` and `sessionState`
 * out. Request-level problems are HTTP 400 problem details (notJSON, notRequest,
 * unknownCapability, limit); method-level problems are `error` responses (unknownMethod,
 * invalidArguments, invalidResultReference, serverFail, and what the methods answer).
 *
 * The response is bounded (`maxSizeResponse`): a read whose answer would pass what is left is
 * answered `requestTooLarge` instead of its data, and a `/set` whose answer would pass it
 * keeps its outcome without its descriptions and warnings. An error inside the server is a
 * `serverFail` that says no more than its request id; the detail goes to the server's log
 * line with that id.
 *
 * With `urn:mta-expr:jmap:atomic` in `using`, the request runs in one transaction: its
 * changes take effect together when no call is rejected, and none of them otherwise (each
 * `/set` that had succeeded then answers the method error `rolledBack`).
 */
import { randomUUID } from 'node:crypto';
import type { ConfigTransaction, ConfigView, LiveConfig } from '../config/live.js';
import { objectSchema } from '../config/schema.js';
import { isObject } from '../json.js';
import { ArgumentError, changes, get, history, set, type MethodContext, type MethodError } from './methods.js';
import { resolveReferences, ResultReferenceError, type Invocation } from './references.js';
import { ATOMIC, CAPABILITIES, CORE, HISTORY, sessionState, STALWART, type ApiLimits } from './session.js';
import type { Caller } from './tokens.js';

/** Where an error inside the server is told, with the request id the client gets. */
export interface RequestLog {
  /** The id of the request, in the log line and in the answer. */
  readonly id: string;
  /** Records the detail of an internal failure (the client learns only the request id). */
  fail(where: string, error: unknown): void;
}

/** An internal failure's detail as one log line: the message and where it happened. */
export function failureDetail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? '').split('\n').slice(1, 6).map((l) => l.trim());
  return [error.message || error.name, ...frames].join(' | ');
}

/** What a client is told of an internal failure: that there was one, and the request id. */
export const internalFailure = (log: RequestLog): string => `internal server error (request ${log.id}; the detail is in the server's log)`;

/** A log that writes each failure as one line through `write` (stderr by default). */
export function requestLog(id: string, write: (line: string) => void): RequestLog {
  return { id, fail: (where, error) => write(`api: request ${id}: ${where}: ${failureDetail(error)}\n`) };
}

const byteSize = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');

/** A `/set` answer without the text that makes it large: its outcome (ids, error types, properties) stays. */
function trimmedSet(result: Record<string, unknown>, limit: number): Record<string, unknown> {
  const note = `description left out: the response would be larger than maxSizeResponse (${limit} bytes)`;
  const out: Record<string, unknown> = { ...result };
  delete out.warnings;
  for (const key of ['notCreated', 'notUpdated', 'notDestroyed']) {
    const errors = result[key];
    if (!isObject(errors)) continue;
    const trimmed = Object.create(null) as Record<string, unknown>;
    for (const [id, e] of Object.entries(errors)) trimmed[id] = isObject(e) ? { ...e, description: note } : e;
    out[key] = trimmed;
  }
  return out;
}

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
async function runCalls(calls: Invocation[], using: Set<string>, context: MethodContext, log: RequestLog): Promise<Invocation[]> {
  const responses: Invocation[] = [];
  const limit = context.limits.maxSizeResponse;
  let size = 0;
  const push = (r: Invocation): void => {
    responses.push(r);
    size += byteSize(r);
  };
  for (const [name, rawArgs, callId] of calls) {
    const error = (type: string, description?: string): void => {
      push(['error', description ? { type, description } : { type }, callId]);
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
      if (isMethodError(result)) {
        error(result.type, result.description);
        continue;
      }
      const answer: Invocation = [name, result, callId];
      if (size + byteSize(answer) <= limit) push(answer);
      else if (method.run === set) push([name, trimmedSet(result, limit), callId]);
      else error('requestTooLarge', `the response would be larger than maxSizeResponse (${limit} bytes): ask for fewer properties, or split the request`);
    } catch (e) {
      if (e instanceof ArgumentError) error('invalidArguments', e.message);
      else if (e instanceof ResultReferenceError) error('invalidResultReference', e.message);
      else {
        log.fail(name, e);
        error('serverFail', internalFailure(log));
      }
    }
  }
  return responses;
}

/**
 * One JMAP API request: the body text and the caller. Internal failures are told to `log`
 * (by default one line on stderr, under a new request id).
 */
export async function handleJmap(text: string, caller: Caller, live: LiveConfig, limits: ApiLimits, log: RequestLog = requestLog(randomUUID(), (l) => process.stderr.write(l))): Promise<HttpAnswer> {
  const request = parseRequest(text, limits);
  if ('status' in request) return request;
  const { calls, using, createdIds } = request;
  const base = { caller, limits, createdIds: createdIds ?? (Object.create(null) as Record<string, string>) };
  let methodResponses: Invocation[];
  if (using.has(ATOMIC)) {
    try {
      methodResponses = await live.transaction(
        caller.name,
        async (tx) => runCalls(calls, using, { ...base, view: tx, change: async <T>(fn: (t: ConfigTransaction) => T) => fn(tx) }, log),
        (responses) => !responses.some(rejects),
      );
    } catch (e) {
      // The commit failed (a full disk, a lost store): nothing of the request was applied.
      log.fail('commit', e);
      methodResponses = calls.map(([, , callId]): Invocation => ['error', { type: 'serverFail', description: internalFailure(log) }, callId]);
    }
    const failed = methodResponses.find(rejects);
    if (failed) {
      methodResponses = methodResponses.map((r): Invocation =>
        r[0].endsWith('/set') && !rejects(r) ? ['error', { type: 'rolledBack', description: `not applied: the call ${failed[2]} was rejected, and the request is atomic` }, r[2]] : r,
      );
    }
  } else {
    const view: ConfigView = live;
    methodResponses = await runCalls(calls, using, { ...base, view, change: (fn) => live.transaction(caller.name, fn) }, log);
  }
  const body: Record<string, unknown> = { methodResponses, sessionState: sessionState(caller, live.schema, limits) };
  if (createdIds !== null) body.createdIds = createdIds;
  return { status: 200, body };
}
