/**
 * The management API's client, shared by every client command: reads the JMAP Session
 * resource (`GET /jmap/session`) and the schema resource (`GET /api/schema`), then makes
 * API requests at the session's API URL. HTTP(S) is `node:http`/`node:https` (so
 * `--insecure` can accept a self-signed certificate); every failure is one CommandError
 * that keeps its cause: connection refused, a TLS mismatch, an untrusted certificate, 401,
 * 403, a method error.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ATOMIC, CORE, HISTORY, STALWART } from '../../api/session.js';
import { hasOwn, isObject } from '../../json.js';
import { CommandError, UsageError, type FlagValues, type Io } from '../io.js';

export type Invocation = [string, Record<string, unknown>, string];

/** A canonical block, as the server sends it. */
export interface WireBlock {
  match: Array<{ if: string; then: string }>;
  else: string;
}

/** What the schema resource says of a field (the part this client reads). */
export interface SchemaField {
  description: string;
  expression?: { type: string; variables: string | null; variableNames: string[] | null; constants: string | null; constantNames: string[] };
}

/** An object of the schema resource: its description, fields (in order) and defaults. */
export interface SchemaObject {
  name: string;
  description: string;
  location?: string;
  singleton: boolean;
  fields: Record<string, SchemaField>;
  defaults: Record<string, WireBlock>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const TIMEOUT_MS = 30_000;

/** Why a request failed, in words an operator can act on. */
function transportFailure(url: string, e: NodeJS.ErrnoException): CommandError {
  const code = e.code ?? '';
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused (is `mta-expr serve` running there?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `no such host (${e.message})`
        : code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT'
          ? `no answer within ${TIMEOUT_MS / 1000} s`
          : /wrong version number|packet length too long|ERR_SSL_WRONG_VERSION_NUMBER|EPROTO/i.test(`${code} ${e.message}`)
            ? 'TLS handshake failed: the server does not speak TLS there (try http://)'
            : /^HPE_|^ECONNRESET$/.test(code) || e.message === 'socket hang up'
              ? 'the server did not answer in HTTP (if it serves HTTPS, use https://)'
              : /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)
                ? `the server's TLS certificate is not trusted: ${e.message} (--insecure accepts it)`
                : e.message;
  return new CommandError(`cannot reach ${url}: ${why}`);
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
    private readonly token: string,
    private readonly insecure: boolean,
    /** The API URL from the session. */
    readonly apiUrl: string,
    /** The token's name, from the session. */
    readonly username: string,
    readonly accountId: string,
  ) {}

  /** Reads `--url`, `--token`, `--insecure` and the session. */
  static async connect(values: FlagValues, io: Io): Promise<ApiClient> {
    const given = str(values.url) ?? io.env.MTA_EXPR_URL ?? 'http://127.0.0.1:8080';
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new UsageError(`--url ${given}: not a URL (such as http://127.0.0.1:8080)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url ${given}: use http:// or https://`);
    const token = str(values.token) ?? io.env.MTA_EXPR_TOKEN ?? io.env.MTA_EXPR_ADMIN_TOKEN;
    if (!token) throw new UsageError('no token: give --token TOKEN or set MTA_EXPR_TOKEN');
    const base = url.origin;
    const probe = new ApiClient(base, token, values.insecure === true, '', '', '');
    const session = probe.json(await probe.request('GET', '/jmap/session'), `${base}/jmap/session`);
    const apiUrl = str(session.apiUrl);
    const accountId = isObject(session.primaryAccounts) ? str(session.primaryAccounts[STALWART]) : undefined;
    if (apiUrl === undefined || accountId === undefined) throw new CommandError(`${base}/jmap/session is not the session of a configuration server (no apiUrl or account)`);
    // Like the reference's CLI, keep the path of the API URL and the server we were pointed at.
    return new ApiClient(base, token, probe.insecure, new URL(new URL(apiUrl, base).pathname, base).href, str(session.username) ?? '', accountId);
  }

  private request(method: 'GET' | 'POST', path: string, body?: string): Promise<HttpResult> {
    const target = new URL(path, this.base);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        target,
        {
          method,
          headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          rejectUnauthorized: !this.insecure,
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(transportFailure(target.href, e)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => reject(transportFailure(target.href, e)));
      req.end(body);
    });
  }

  /** A 2xx answer's JSON object; anything else is a CommandError with the status and the server's detail. */
  private json(res: HttpResult, url: string): Record<string, unknown> {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // not JSON: said below
    }
    const detail = isObject(parsed) && typeof parsed.detail === 'string' ? `: ${parsed.detail}` : '';
    if (res.status === 401) throw new CommandError(`${url}: 401 Unauthorized${detail || ': the token was refused'} (check --token or $MTA_EXPR_TOKEN)`);
    if (res.status === 403) throw new CommandError(`${url}: 403 Forbidden${detail}`);
    if (res.status < 200 || res.status > 299) throw new CommandError(`${url}: ${res.status} ${res.statusText}${detail}`);
    if (!isObject(parsed)) throw new CommandError(`${url}: the answer is not a JSON object`);
    return parsed;
  }

  /** The schema resource's objects (following its redirect to the digest URL). */
  async schema(): Promise<SchemaObject[]> {
    let res = await this.request('GET', '/api/schema');
    if (res.status >= 300 && res.status < 400 && typeof res.headers.location === 'string') res = await this.request('GET', res.headers.location);
    const doc = this.json(res, `${this.base}/api/schema`);
    const objects = isObject(doc.objects) ? doc.objects : {};
    const fields = isObject(doc.fields) ? doc.fields : {};
    const forms = isObject(doc.forms) ? doc.forms : {};
    return Object.entries(objects).flatMap(([key, o]): SchemaObject[] => {
      if (!isObject(o) || !key.startsWith('x:') || (o.type !== 'singleton' && o.type !== 'object')) return [];
      const f = (isObject(fields[key]) ? fields[key] : {}) as { properties?: Record<string, SchemaField>; defaults?: Record<string, WireBlock> };
      const form = forms[key] as { title?: string; sections?: Array<{ fields: Array<{ name: string }> }> } | undefined;
      const order = form?.sections?.flatMap((s) => s.fields.map((x) => x.name)) ?? Object.keys(f.properties ?? {});
      const properties = f.properties ?? {};
      const ordered = Object.fromEntries([...order, ...Object.keys(properties)].filter((n, i, all) => hasOwn(properties, n) && all.indexOf(n) === i).map((n) => [n, properties[n]!]));
      return [{ name: key.slice(2), description: str(o.description) ?? '', location: form?.title, singleton: o.type === 'singleton', fields: ordered, defaults: f.defaults ?? {} }];
    });
  }

  /** One API request; the method responses. */
  async call(calls: Invocation[], options: { atomic?: boolean } = {}): Promise<Invocation[]> {
    const using = [CORE, STALWART, HISTORY, ...(options.atomic ? [ATOMIC] : [])];
    const res = await this.request('POST', this.apiUrl, JSON.stringify({ using, methodCalls: calls }));
    const body = this.json(res, this.apiUrl);
    if (!Array.isArray(body.methodResponses)) throw new CommandError(`${this.apiUrl}: the answer has no methodResponses`);
    return body.methodResponses as Invocation[];
  }

  /** One method call; its result, or a CommandError for a method error. */
  async call1(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const [response] = await this.call([[method, { accountId: this.accountId, ...args }, 'c1']]);
    if (!response) throw new CommandError(`${this.apiUrl}: no answer to ${method}`);
    return result(response);
  }
}

/** The result of a method response; a method error is a CommandError (`type: description`). */
export function result(response: Invocation): Record<string, unknown> {
  if (response[0] === 'error') {
    const { type, description } = response[1] as { type?: string; description?: string };
    throw new CommandError(`${String(type)}${description ? `: ${description}` : ''}`);
  }
  return response[1];
}

/** The object of a name given in any case, with or without `x:`; unknown is a CommandError. */
export function findObject(objects: readonly SchemaObject[], given: string): SchemaObject {
  const name = given.replace(/^x:/i, '');
  const found = objects.find((o) => o.name.toLowerCase() === name.toLowerCase());
  if (!found) throw new CommandError(`unknown object ${given} (the server has ${objects.map((o) => o.name).join(', ')})`);
  return found;
}

/** The id of a singleton: none or `singleton`; another is a CommandError. */
export function singletonId(object: SchemaObject, id: string | undefined): string {
  if (id !== undefined && id !== 'singleton') throw new CommandError(`${object.name} is a singleton: its only id is "singleton", not ${JSON.stringify(id)}`);
  return 'singleton';
}

/** The field of a name given in any case; unknown is a CommandError. */
export function findField(object: SchemaObject, given: string): string {
  const found = Object.keys(object.fields).find((f) => f.toLowerCase() === given.toLowerCase());
  if (found === undefined) throw new CommandError(`${object.name} has no field ${given} (its fields: ${Object.keys(object.fields).join(', ')})`);
  return found;
}

/** The current blocks and state of objects, in one request. */
export async function readObjects(client: ApiClient, objects: readonly SchemaObject[]): Promise<Map<string, { state: string; blocks: Record<string, WireBlock> }>> {
  const responses = await client.call(objects.map((o, i) => [`x:${o.name}/get`, { accountId: client.accountId, ids: ['singleton'] }, `g${i}`]));
  const out = new Map<string, { state: string; blocks: Record<string, WireBlock> }>();
  objects.forEach((o, i) => {
    const response = responses.find((r) => r[2] === `g${i}`);
    if (!response) throw new CommandError(`no answer for ${o.name}`);
    const r = result(response);
    const record = (r.list as Array<Record<string, unknown>>)[0] ?? {};
    const blocks = Object.fromEntries(Object.keys(o.fields).filter((f) => hasOwn(record, f)).map((f) => [f, record[f] as WireBlock]));
    out.set(o.name, { state: String(r.state), blocks });
  });
  return out;
}
