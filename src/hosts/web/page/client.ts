/**
 * The page's only way to the server: the management API with the bearer token, as curl
 * and the CLI use it — `GET /api/schema`, and `POST /api` with the JMAP `/get` and `/set`
 * methods. The token travels in the Authorization header only, never in a URL.
 */
import type { BlockInput } from '../../../language/index.js';
import type { SchemaDocument } from '../../api/schema-document.js';

const USING = ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'];
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
  | { kind: 'saved'; oldState: string; newState: string; current: StoredRecord }
  | { kind: 'rejected'; type: string; properties: string[]; description: string; current: StoredRecord }
  | { kind: 'stateMismatch'; description: string; current: StoredRecord };

type Invocation = [string, Record<string, unknown>, string];

export class ApiClient {
  constructor(private readonly token: string) {}

  private async request(path: string, init: RequestInit): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiFailure('The server cannot be reached: is `mta-expr serve` still running?');
    }
    const body = (await res.json().catch(() => null)) as { detail?: string } | null;
    if (res.status === 401) throw new Unauthorized(body?.detail ?? 'the token was refused');
    if (res.status !== 200 || body === null) throw new ApiFailure(`The server answered ${res.status}${body?.detail ? `: ${body.detail}` : ''}`);
    return body;
  }

  /** The objects the server holds, their fields and contexts, and what this token may do. */
  async schema(): Promise<SchemaDocument> {
    return (await this.request('/api/schema', { method: 'GET' })) as SchemaDocument;
  }

  private async calls(methodCalls: Invocation[]): Promise<Invocation[]> {
    const body = (await this.request('/api', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: USING, methodCalls }),
    })) as { methodResponses?: Invocation[] };
    const responses = body.methodResponses;
    if (!Array.isArray(responses) || responses.length !== methodCalls.length) throw new ApiFailure('The server gave no method responses');
    return responses;
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
    const [response] = await this.calls([[`x:${object}/get`, { ids: [ID] }, 'get']]);
    return ApiClient.record(response!);
  }

  /**
   * One `x:OBJECT/set` of the changed fields (a block, or null for the default) if the
   * server is still in `ifInState`, and in the same request a `/get` of what is stored after it.
   */
  async save(object: string, patch: Record<string, BlockInput | null>, ifInState: string): Promise<SaveOutcome> {
    const [set, get] = await this.calls([
      [`x:${object}/set`, { ifInState, update: { [ID]: patch } }, 'set'],
      [`x:${object}/get`, { ids: [ID] }, 'get'],
    ]);
    const current = ApiClient.record(get!);
    const [name, args] = set!;
    if (name === 'error') {
      if (args.type === 'stateMismatch') return { kind: 'stateMismatch', description: String(args.description ?? ''), current };
      throw new MethodFailure(String(args.type), args.description as string | undefined);
    }
    const rejected = (args.notUpdated as Record<string, { type: string; properties?: string[]; description?: string }> | null)?.[ID];
    if (rejected) return { kind: 'rejected', type: rejected.type, properties: rejected.properties ?? [], description: rejected.description ?? '', current };
    return { kind: 'saved', oldState: String(args.oldState), newState: String(args.newState), current };
  }
}

const KEY = 'mta-expr-token';

/** The token of this browser tab's session (sessionStorage: gone when the tab closes). */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (token: string): void => sessionStorage.setItem(KEY, token),
  clear: (): void => sessionStorage.removeItem(KEY),
};
