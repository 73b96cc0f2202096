/**
 * JMAP (RFC 8620) for the configuration objects, the request envelope: `using` and
 * `methodCalls` in, `methodResponses` out, under the capability `urn:stalwart:jmap`.
 * Request-level problems are HTTP 400 problem details (notJSON, notRequest,
 * unknownCapability, limit); method-level problems are `error` responses (unknownMethod,
 * invalidArguments, serverFail, and what the methods answer). The methods are in methods.ts.
 */
import type { LiveConfig } from '../config/live.js';
import { objectSchema } from '../config/schema.js';
import { isObject } from '../json.js';
import { ArgumentError, get, set, type MethodError } from './methods.js';

export const CORE = 'urn:ietf:params:jmap:core';
export const STALWART = 'urn:stalwart:jmap';
const KNOWN_CAPABILITIES = new Set([CORE, STALWART]);
export const SESSION_STATE = 'mta-expr-0';

export interface HttpAnswer {
  status: number;
  body: unknown;
}

function problem(type: string, detail: string, extra: Record<string, unknown> = {}): HttpAnswer {
  return { status: 400, body: { type: `urn:ietf:params:jmap:error:${type}`, status: 400, detail, ...extra } };
}

type Invocation = [string, Record<string, unknown>, string];

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
    const known = objectName !== undefined && objectSchema(live.schema, objectName) !== undefined;
    if (!m || objectName === undefined || !known || !capabilities.has(STALWART) || !capabilities.has(CORE)) {
      error('unknownMethod', known ? `${name} needs the capabilities ${CORE} and ${STALWART}` : `Unknown method ${name}`);
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
