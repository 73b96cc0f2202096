/**
 * The management API's client, the one every user of `mta-expr serve` shares: the client
 * commands, the policy service and the Haraka plugin (through the remote configuration
 * source). It reads the JMAP Session resource (`GET /jmap/session`) for the API URL, the
 * account and the limits, and the schema resource (`GET /api/schema`) when it needs to know
 * the objects, then makes API requests at the session's API URL. HTTP(S) is
 * `node:http`/`node:https` (so `insecure` can accept a self-signed certificate); every
 * failure is an ApiError of one line that keeps its cause: connection refused, a TLS
 * mismatch, an untrusted certificate, no answer in time, 401, 403, a method error.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isObject, str } from '../json.js';
import { ApiError } from './error.js';
import { SINGLETON } from './methods.js';
import { readSchemaResource, type SchemaObject } from './schema-reader.js';
import { ATOMIC, CORE, DEFAULT_LIMITS, HISTORY, STALWART } from './session.js';

export { ApiError } from './error.js';
export type { SchemaField, SchemaObject } from './schema-reader.js';

/** Where the API is and how to reach it. */
export interface ApiEndpoint {
  /** `http(s)://host:port` of the server (a path, such as `/api`, is ignored: the session says where the API is). */
  url: string;
  token: string;
  /** Accept the server's TLS certificate unchecked (a self-signed certificate). */
  insecure?: boolean;
  /** Give up on a request after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

export type Invocation = [name: string, args: Record<string, unknown>, callId: string];

/** An object as read: its state and its record (`id` and the fields). */
export interface ObjectRecord {
  state: string;
  record: Record<string, unknown>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The origin of an http(s) URL, or null when the text is not one. */
export function apiOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

const duration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** Why a request failed, in words an operator can act on. */
function transportFailure(url: string, e: NodeJS.ErrnoException, timeoutMs: number): ApiError {
  const code = e.code ?? '';
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused (is `mta-expr serve` running there?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `no such host (${e.message})`
        : code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT'
          ? `no answer within ${duration(timeoutMs)}`
          : /wrong version number|packet length too long|ERR_SSL_WRONG_VERSION_NUMBER|EPROTO/i.test(`${code} ${e.message}`)
            ? 'TLS handshake failed: the server does not speak TLS there (try http://)'
            : /^HPE_|^ECONNRESET$/.test(code) || e.message === 'socket hang up'
              ? 'the server did not answer in HTTP (if it serves HTTPS, use https://)'
              : /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)
                ? `the server's TLS certificate is not trusted: ${e.message} (--insecure accepts it)`
                : e.message;
  return new ApiError(`cannot reach ${url}: ${why}`);
}

interface HttpResult {
  status: number;
  statusText: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export class ApiClient {
  private constructor(
    /** `http(s)://host:port` of the server. */
    readonly base: string,
    private readonly endpoint: ApiEndpoint,
    /** The API URL from the session. */
    readonly apiUrl: string,
    /** The token's name, from the session. */
    readonly username: string,
    readonly accountId: string,
    /** The session's limit of method calls in one request. */
    readonly maxCallsInRequest: number,
  ) {}

  /** Reads the session of the endpoint; a client ready for requests. */
  static async connect(endpoint: ApiEndpoint): Promise<ApiClient> {
    const base = apiOrigin(endpoint.url);
    if (base === null) throw new ApiError(`${endpoint.url} is not an http:// or https:// URL (such as http://127.0.0.1:8080)`);
    const probe = new ApiClient(base, endpoint, '', '', '', DEFAULT_LIMITS.maxCallsInRequest);
    const session = probe.json(await probe.request('GET', '/jmap/session'), `${base}/jmap/session`);
    const apiUrl = str(session.apiUrl);
    const accountId = isObject(session.primaryAccounts) ? str(session.primaryAccounts[STALWART]) : undefined;
    if (apiUrl === undefined || accountId === undefined) throw new ApiError(`${base}/jmap/session is not the session of a configuration server (no apiUrl or account)`);
    const core = isObject(session.capabilities) && isObject(session.capabilities[CORE]) ? session.capabilities[CORE] : {};
    const maxCalls = typeof core.maxCallsInRequest === 'number' && core.maxCallsInRequest >= 1 ? core.maxCallsInRequest : DEFAULT_LIMITS.maxCallsInRequest;
    // Like the reference's CLI, keep the path of the API URL and the server we were pointed at.
    return new ApiClient(base, endpoint, new URL(new URL(apiUrl, base).pathname, base).href, str(session.username) ?? '', accountId, maxCalls);
  }

  private get timeoutMs(): number {
    return this.endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private request(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    const target = new URL(path, this.base);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const failure = (e: NodeJS.ErrnoException) => transportFailure(target.href, e, this.timeoutMs);
    return new Promise((resolve, reject) => {
      const req = send(
        target,
        {
          method,
          headers: { Authorization: `Bearer ${this.endpoint.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          rejectUnauthorized: this.endpoint.insecure !== true,
          // A connection of its own for each request: a kept-alive one the server has just
          // closed would fail as a reset, not as what is wrong (a stopped server is refused).
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (e) => {
            clearTimeout(timer);
            reject(failure(e));
          });
        },
      );
      // The whole exchange within the time, not just each wait for a packet.
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.timeoutMs).unref();
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(failure(e));
      });
      req.end(body);
    });
  }

  /** A 2xx answer's JSON object; anything else is an ApiError with the status and the server's detail. */
  private json(res: HttpResult, url: string): Record<string, unknown> {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // not JSON: said below
    }
    const detail = isObject(parsed) && typeof parsed.detail === 'string' ? `: ${parsed.detail}` : '';
    if (res.status === 401) throw new ApiError(`${url}: 401 Unauthorized${detail || ': the token was refused'} (check --token or $MTA_EXPR_TOKEN)`, 401);
    if (res.status === 403) throw new ApiError(`${url}: 403 Forbidden${detail}`, 403);
    if (res.status < 200 || res.status > 299) throw new ApiError(`${url}: ${res.status} ${res.statusText}${detail}`, res.status);
    if (!isObject(parsed)) throw new ApiError(`${url}: the answer is not a JSON object`);
    return parsed;
  }

  /** The schema resource's objects (following its redirect to the digest URL). */
  async schema(): Promise<SchemaObject[]> {
    let res = await this.request('GET', '/api/schema');
    if (res.status >= 300 && res.status < 400 && typeof res.headers.location === 'string') res = await this.request('GET', res.headers.location);
    return readSchemaResource(this.json(res, `${this.base}/api/schema`));
  }

  /** One API request; the method responses. */
  async call(calls: Invocation[], options: { atomic?: boolean } = {}): Promise<Invocation[]> {
    const using = [CORE, STALWART, HISTORY, ...(options.atomic ? [ATOMIC] : [])];
    const res = await this.request('POST', this.apiUrl, JSON.stringify({ using, methodCalls: calls }));
    const body = this.json(res, this.apiUrl);
    if (!Array.isArray(body.methodResponses)) throw new ApiError(`${this.apiUrl}: the answer has no methodResponses`);
    return body.methodResponses as Invocation[];
  }

  /** One method call in the session's account; its result, or an ApiError for a method error. */
  async call1(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const [response] = await this.call([[method, { accountId: this.accountId, ...args }, 'c1']]);
    if (!response) throw new ApiError(`${this.apiUrl}: no answer to ${method}`);
    return result(response);
  }

  /**
   * The state and record of each singleton object named, read with `x:<Object>/get` calls
   * (as few requests as the session's maxCallsInRequest allows); a method error or a missing
   * answer is an ApiError.
   */
  async readObjects(names: readonly string[]): Promise<Map<string, ObjectRecord>> {
    const out = new Map<string, ObjectRecord>();
    for (let start = 0; start < names.length; start += this.maxCallsInRequest) {
      const chunk = names.slice(start, start + this.maxCallsInRequest);
      const responses = await this.call(chunk.map((name, i) => [`x:${name}/get`, { accountId: this.accountId, ids: [SINGLETON] }, `g${i}`]));
      chunk.forEach((name, i) => {
        const response = responses.find((r) => r[2] === `g${i}`);
        if (!response) throw new ApiError(`${this.apiUrl}: no answer to x:${name}/get`);
        const r = result(response);
        const record = Array.isArray(r.list) && isObject(r.list[0]) ? r.list[0] : undefined;
        if (record === undefined) throw new ApiError(`${this.apiUrl}: the server has no ${name} record`);
        out.set(name, { state: String(r.state), record });
      });
    }
    return out;
  }
}

/** The result of a method response; a method error is an ApiError (`type: description`). */
export function result(response: Invocation): Record<string, unknown> {
  if (response[0] === 'error') {
    const { type, description } = response[1] as { type?: string; description?: string };
    throw new ApiError(`${String(type)}${description ? `: ${description}` : ''}`, type);
  }
  return response[1];
}
