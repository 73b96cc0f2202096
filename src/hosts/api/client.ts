/**
 * The management API's client: JMAP method calls over HTTP with a bearer token, used by
 * the CLI (`get`, `update`) and by the live configuration source of the hosts that follow
 * a running `mta-expr serve`. Every failure is an ApiError with one line that says what
 * went wrong and where.
 */
import { CORE, STALWART } from './jmap.js';

/** A transport, HTTP or method failure of the management API. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    /** The HTTP status, or the JMAP error type of a method error, when there is one. */
    readonly reason?: number | string,
  ) {
    super(message);
  }
}

export type Invocation = [name: string, args: Record<string, unknown>, callId: string];

/** The API endpoint of a base URL: `http://host:8080` and `http://host:8080/api` are the same. */
export function apiUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/api') ? trimmed : trimmed + '/api';
}

export interface JmapClientOptions {
  /** Abort a request after this many milliseconds (default 10 s). */
  timeoutMs?: number;
}

export class JmapClient {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(
    base: string,
    private readonly token: string,
    options: JmapClientOptions = {},
  ) {
    this.url = apiUrl(base);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Several method calls in one request; method errors come back as `['error', {type, description}, callId]`. */
  async request(calls: ReadonlyArray<[method: string, args: Record<string, unknown>]>): Promise<Invocation[]> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ using: [CORE, STALWART], methodCalls: calls.map(([m, a], i) => [m, a, `c${i}`]) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why =
        err.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : err.cause?.code === 'ECONNREFUSED'
            ? 'connection refused (is `mta-expr serve` running there?)'
            : (err.cause?.message ?? err.message);
      throw new ApiError(`cannot reach ${this.url}: ${why}`);
    }
    const body = (await res.json().catch(() => ({}))) as { methodResponses?: unknown; detail?: string };
    if (res.status === 401) throw new ApiError(`${this.url}: 401 Unauthorized: ${body.detail ?? 'the token was refused'}`, 401);
    if (res.status !== 200) throw new ApiError(`${this.url}: ${res.status} ${res.statusText}${body.detail ? `: ${body.detail}` : ''}`, res.status);
    const responses = body.methodResponses;
    if (!Array.isArray(responses) || responses.length === 0) throw new ApiError(`${this.url}: the server gave no method response`);
    return responses as Invocation[];
  }

  /** One method call; a method error is an ApiError too. */
  async call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const [first] = await this.request([[method, args]]);
    return methodResult(method, first!);
  }
}

/** The arguments of a method response, or an ApiError for an `error` response. */
export function methodResult(method: string, [name, args]: Invocation): Record<string, unknown> {
  if (name !== 'error') return args;
  const { type, description } = args as { type?: string; description?: string };
  if (type === 'unknownMethod') throw new ApiError(`the server has no object ${method.slice(2, method.indexOf('/'))} (${description ?? type})`, type);
  throw new ApiError(`${String(type)}${description ? `: ${description}` : ''}`, type);
}
