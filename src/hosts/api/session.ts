/**
 * The JMAP Session resource (RFC 8620 §2): the capabilities with the limits this server
 * enforces, the one account holding the configuration (with the permissions the caller's
 * token holds in it, under the account's `urn:stalwart:jmap` capability), and who the
 * caller is. Its `state`
 * is a digest of everything in it but the URLs, so it changes only when what it says
 * changes; every API response's `sessionState` is that state.
 */
import { createHash } from 'node:crypto';
import type { Schema } from '../config/schema.js';
import { permission, permissionsOf, type Caller } from './tokens.js';

export const CORE = 'urn:ietf:params:jmap:core';
/** The configuration objects (`x:<Object>/get`, `/set`, `/changes`), as the reference server names them. */
export const STALWART = 'urn:stalwart:jmap';
/** `x:<Object>/history`: the accepted changes of an object. */
export const HISTORY = 'urn:mta-expr:jmap:history';
/** In `using`, the request's changes take effect together or not at all. */
export const ATOMIC = 'urn:mta-expr:jmap:atomic';
export const CAPABILITIES: readonly string[] = [CORE, STALWART, HISTORY, ATOMIC];

/** The id of the account that holds the configuration objects. */
export const ACCOUNT_ID = 'config';

/** The request limits the server enforces (RFC 8620 §2, `urn:ietf:params:jmap:core`). */
export interface ApiLimits {
  /** Largest request body, in bytes. */
  maxSizeRequest: number;
  /** Requests of one token being answered at once. */
  maxConcurrentRequests: number;
  /** Method calls in one request. */
  maxCallsInRequest: number;
  /** Ids in one `/get`. */
  maxObjectsInGet: number;
  /** Creates, updates and destroys in one `/set`. */
  maxObjectsInSet: number;
  /**
   * Largest response body, in bytes (not a limit RFC 8620 names, so not in the session): a
   * read that would pass it is answered with an error instead of its data.
   */
  maxSizeResponse: number;
}

/** The defaults, those of the reference server. */
export const DEFAULT_LIMITS: Readonly<ApiLimits> = {
  maxSizeRequest: 10_000_000,
  maxConcurrentRequests: 4,
  maxCallsInRequest: 16,
  maxObjectsInGet: 500,
  maxObjectsInSet: 500,
  maxSizeResponse: 10_000_000,
};

/** Limits: `given` over `defaults`; throws TypeError for an unknown one or one that is not a positive integer. */
export function positiveLimits<T extends { [K in keyof T]: number }>(defaults: Readonly<T>, given: Partial<T> = {}): T {
  const limits = { ...defaults };
  for (const [name, value] of Object.entries(given) as Array<[keyof T & string, number | undefined]>) {
    if (value === undefined) continue;
    if (!(name in defaults)) throw new TypeError(`unknown limit ${name}`);
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, not ${String(value)}`);
    (limits as Record<string, number>)[name] = value;
  }
  return limits;
}

/** The limits with `given` over the defaults; throws TypeError for one that is not a positive integer. */
export function apiLimits(given: Partial<ApiLimits> = {}): ApiLimits {
  return positiveLimits<ApiLimits>(DEFAULT_LIMITS, given);
}

/** Whether a caller may change anything at all (otherwise the account is read-only to it). */
function canWrite(caller: Caller, schema: Schema): boolean {
  return Object.keys(schema).some((name) => caller.permissions.has(permission(name, 'Update')));
}

/** The Session object without its URLs, and its state. */
function sessionBody(caller: Caller, schema: Schema, limits: ApiLimits): Record<string, unknown> {
  // What the caller may do with each object: the permissions of its token (the schema
  // resource gives each object's permissionPrefix; `Get` or `Update` follows it).
  const permissions = permissionsOf(schema).filter((p) => caller.permissions.has(p));
  const accountCapabilities = { [STALWART]: { permissions }, [HISTORY]: {}, [ATOMIC]: {} };
  const body = {
    capabilities: {
      [CORE]: {
        maxSizeUpload: 0,
        maxConcurrentUpload: 0,
        maxSizeRequest: limits.maxSizeRequest,
        maxConcurrentRequests: limits.maxConcurrentRequests,
        maxCallsInRequest: limits.maxCallsInRequest,
        maxObjectsInGet: limits.maxObjectsInGet,
        maxObjectsInSet: limits.maxObjectsInSet,
        collationAlgorithms: [],
      },
      [STALWART]: {},
      [HISTORY]: {},
      [ATOMIC]: {},
    },
    accounts: {
      [ACCOUNT_ID]: { name: 'configuration', isPersonal: false, isReadOnly: !canWrite(caller, schema), accountCapabilities },
    },
    primaryAccounts: { [STALWART]: ACCOUNT_ID, [HISTORY]: ACCOUNT_ID, [ATOMIC]: ACCOUNT_ID },
    username: caller.name,
  };
  return body;
}

/** The session state of a caller (what every API response's `sessionState` says). */
export function sessionState(caller: Caller, schema: Schema, limits: ApiLimits): string {
  return createHash('sha256').update(JSON.stringify(sessionBody(caller, schema, limits))).digest('base64url').slice(0, 16);
}

/** The Session resource for a caller, its URLs under `origin` (`http://host:port`). */
export function sessionResource(caller: Caller, schema: Schema, limits: ApiLimits, origin: string): Record<string, unknown> {
  return {
    ...sessionBody(caller, schema, limits),
    apiUrl: `${origin}/api`,
    downloadUrl: `${origin}/jmap/download/{accountId}/{blobId}/{name}?accept={type}`,
    uploadUrl: `${origin}/jmap/upload/{accountId}/`,
    eventSourceUrl: `${origin}/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}`,
    state: sessionState(caller, schema, limits),
  };
}
