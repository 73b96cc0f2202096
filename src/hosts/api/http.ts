/**
 * The management API over HTTP: `POST /api` with `Authorization: Bearer TOKEN`. A missing
 * or unknown token is HTTP 401; everything else is answered by the JMAP layer.
 *
 * `GET /health` (no token) tells monitoring whether the node serves what the cluster
 * stores: `{"status": "ok" | "degraded", "state", "configStore": {ok, since, error?},
 * "stores": [{name, type, ok, since, error?}]}`, always with HTTP 200 while the node serves
 * (a degraded node still answers with its last good configuration).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleJmap, type HttpAnswer } from './jmap.js';
import type { LiveConfig } from '../config/live.js';
import type { TokenTable } from './tokens.js';
import type { BackendStatus } from '../lookups/status.js';

export interface ApiServerOptions {
  live: LiveConfig;
  tokens: TokenTable;
  /** Largest accepted request body (default 1 MiB). */
  maxRequestBytes?: number;
  /** The lookup stores, for the health endpoint. */
  stores?: () => BackendStatus[];
}

/** The health report: the configuration store and the lookup stores as this node sees them. */
export function healthReport(options: Pick<ApiServerOptions, 'live' | 'stores'>): { status: 'ok' | 'degraded'; state: string; configStore: ReturnType<LiveConfig['health']>; stores: BackendStatus[] } {
  const configStore = options.live.health();
  const stores = options.stores?.() ?? [];
  const ok = configStore.ok && stores.every((s) => s.ok);
  return { status: ok ? 'ok' : 'degraded', state: options.live.state, configStore, stores };
}

function reply(res: ServerResponse, answer: HttpAnswer, headers: Record<string, string> = {}): void {
  const problemType = (answer.body as { type?: unknown } | null)?.type;
  const contentType = answer.status === 200 ? 'application/json' : typeof problemType === 'string' ? 'application/problem+json' : 'application/json';
  res.writeHead(answer.status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(answer.body));
}

/** The body, or null when it is larger than the limit (the rest is read and dropped). */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function createApiServer(options: ApiServerOptions): Server {
  const limit = options.maxRequestBytes ?? 1024 * 1024;
  return createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/health') {
        req.resume();
        if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, { status: 405, body: { type: 'about:blank', status: 405, detail: 'Use GET' } }, { Allow: 'GET, HEAD' });
        return reply(res, { status: 200, body: healthReport(options) });
      }
      if (path !== '/api') return reply(res, { status: 404, body: { type: 'about:blank', status: 404, detail: 'Not found: the API is POST /api' } });
      if (req.method !== 'POST') return reply(res, { status: 405, body: { type: 'about:blank', status: 405, detail: 'Use POST' } }, { Allow: 'POST' });
      const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      const permissions = auth ? options.tokens.lookup(auth[1]!) : null;
      if (permissions === null) {
        req.resume();
        return reply(res, { status: 401, body: { type: 'about:blank', status: 401, detail: auth ? 'Unknown token' : 'Missing bearer token' } }, { 'WWW-Authenticate': 'Bearer realm="mta-expr"' });
      }
      const body = await readBody(req, limit);
      if (body === null) {
        return reply(res, { status: 400, body: { type: 'urn:ietf:params:jmap:error:limit', status: 400, limit: 'maxSizeRequest', detail: `The request is larger than ${limit} bytes` } });
      }
      reply(res, await handleJmap(body, permissions, options.live));
    })().catch((e: unknown) => {
      if (!res.headersSent) reply(res, { status: 500, body: { type: 'about:blank', status: 500, detail: e instanceof Error ? e.message : String(e) } });
      else res.destroy();
    });
  });
}
