/**
 * The page's only way to the server: the management API with the bearer token, as the
 * command line uses it — the JMAP session (`GET /jmap/session`: the API URL, the account,
 * the token's permissions), the schema resource (`GET /api/schema`, redirected to its
 * digest, which the browser may cache), and `x:<Object>/get` and `/set` calls in the
 * session's account. Each object has a state of its own: a save names the state of its
 * object only. The token travels in the Authorization header only, never in a URL.
 */
import type { BlockInput } from '../../../language/index.js';
import { readSchemaResource } from '../../api/schema-reader.js';
import { setWarnings, type SetWarning } from '../../api/warnings.js';
import { isObject } from '../../json.js';
import { pageObjects, type Objects } from './schema.js';

const CORE = 'urn:ietf:params:jmap:core';
const STALWART = 'urn:stalwart:jmap';
const USING = [CORE, STALWART];
const ID = 'singleton';

/** The token was refused (HTTP 401): sign in again. */
export class Unauthorized extends Error {}

/** The server could not be reached or answered something other than the API. */
export class ApiFailure extends Error {}

/** A JMAP method error (`forbidden`, `invalidArguments`, …). */
export class MethodFailure extends Error {
  constructor(
    readonly type: string,
    description: string | undefined,
  ) {
    super(description ? `${type}: ${description}` : type);
  }
}

export interface StoredRecord {
  state: string;
  blocks: Record<string, BlockInput>;
}

export type SaveOutcome =
  | { kind: 'saved'; oldState: string; newState: string; current: StoredRecord; /** The server's lint warnings, by field. */ warnings: Record<string, SetWarning[]> }
  | { kind: 'rejected'; type: string; properties: string[]; description: string; current: StoredRecord }
  | { kind: 'stateMismatch'; description: string; current: StoredRecord };

type Invocation = [string, Record<string, unknown>, string];

export class ApiClient {
  private constructor(
    private readonly token: string,
    /** The path of the session's API URL (the page speaks to its own origin only). */
    private readonly apiPath: string,
    readonly accountId: string,
    /** The token's name. */
    readonly username: string,
    /** The objects, with what this token may do. */
    readonly objects: Objects,
  ) {}

  /** Reads the session and the schema with a token; a client ready for requests. */
  static async connect(token: string): Promise<ApiClient> {
    const session = await request(token, '/jmap/session', { method: 'GET' });
    const accountId = isObject(session.primaryAccounts) ? session.primaryAccounts[STALWART] : undefined;
    const account = typeof accountId === 'string' && isObject(session.accounts) ? session.accounts[accountId] : undefined;
    if (typeof session.apiUrl !== 'string' || typeof accountId !== 'string' || !isObject(account)) throw new ApiFailure('The server gave no JMAP session of a configuration server');
    const capability = isObject(account.accountCapabilities) ? account.accountCapabilities[STALWART] : undefined;
    const permissions = isObject(capability) && Array.isArray(capability.permissions) ? capability.permissions.filter((p): p is string => typeof p === 'string') : [];
    // The digest URL the schema redirects to never changes: the browser may keep it.
    const schema = readSchemaResource(await request(token, '/api/schema', { method: 'GET', cache: 'default' }));
    const apiPath = new URL(session.apiUrl, location.href).pathname;
    return new ApiClient(token, apiPath, accountId, typeof session.username === 'string' ? session.username : '', pageObjects(schema, new Set(permissions)));
  }

  private async calls(methodCalls: Invocation[]): Promise<Invocation[]> {
    const body = await request(this.token, this.apiPath, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: USING, methodCalls }),
    });
    const responses = body.methodResponses;
    if (!Array.isArray(responses) || responses.length !== methodCalls.length) throw new ApiFailure('The server gave no method responses');
    return responses as Invocation[];
  }

  private static record(response: Invocation): StoredRecord {
    const [name, args] = response;
    if (name === 'error') throw new MethodFailure(String(args.type), args.description as string | undefined);
    const list = args.list as Array<Record<string, unknown>> | undefined;
    const found = list?.find((r) => r.id === ID);
    if (found === undefined) throw new ApiFailure('The server returned no record');
    const { id: _id, ...blocks } = found;
    return { state: String(args.state), blocks: blocks as Record<string, BlockInput> };
  }

  /** `x:OBJECT/get` of the singleton. */
  async get(object: string): Promise<StoredRecord> {
    const [response] = await this.calls([[`x:${object}/get`, { accountId: this.accountId, ids: [ID] }, 'get']]);
    return ApiClient.record(response!);
  }

  /**
   * One `x:OBJECT/set` of the changed fields (a block, or null for the default) if the
   * object is still in `ifInState` (its own state: a change of another object does not
   * count), and in the same request a `/get` of what is stored after it.
   */
  async save(object: string, patch: Record<string, BlockInput | null>, ifInState: string): Promise<SaveOutcome> {
    const [set, get] = await this.calls([
      [`x:${object}/set`, { accountId: this.accountId, ifInState, update: { [ID]: patch } }, 'set'],
      [`x:${object}/get`, { accountId: this.accountId, ids: [ID] }, 'get'],
    ]);
    const current = ApiClient.record(get!);
    const [name, args] = set!;
    if (name === 'error') {
      if (args.type === 'stateMismatch') return { kind: 'stateMismatch', description: String(args.description ?? ''), current };
      throw new MethodFailure(String(args.type), args.description as string | undefined);
    }
    const rejected = (args.notUpdated as Record<string, { type: string; properties?: string[]; description?: string }> | null)?.[ID];
    if (rejected) return { kind: 'rejected', type: rejected.type, properties: rejected.properties ?? [], description: rejected.description ?? '', current };
    return { kind: 'saved', oldState: String(args.oldState), newState: String(args.newState), current, warnings: setWarnings(args, ID) };
  }
}

/** A GET or POST of the API with the token; the JSON object of a 200 answer. */
async function request(token: string, path: string, init: RequestInit): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(path, {
      cache: 'no-store',
      ...init,
      headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}`, Accept: 'application/json' },
      credentials: 'omit',
    });
  } catch {
    throw new ApiFailure('The server cannot be reached: is `mta-expr serve` still running?');
  }
  const body = (await res.json().catch(() => null)) as unknown;
  const detail = isObject(body) && typeof body.detail === 'string' ? body.detail : undefined;
  if (res.status === 401) throw new Unauthorized(detail ?? 'the token was refused');
  if (res.status !== 200 || !isObject(body)) throw new ApiFailure(`The server answered ${res.status}${detail ? `: ${detail}` : ''}`);
  return body;
}

const KEY = 'mta-expr-token';

/** The token of this browser tab's session (sessionStorage: gone when the tab closes). */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (token: string): void => sessionStorage.setItem(KEY, token),
  clear: (): void => sessionStorage.removeItem(KEY),
};
