/**
 * The management API over HTTP: `POST /api` with `Authorization: Bearer TOKEN`. A missing
 * or unknown token is HTTP 401; everything else is answered by the JMAP layer. `GET
 * /api/schema` (same token) describes the objects; other paths go to the `web` handler
 * when one is given (the web interface).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleJmap, type HttpAnswer } from './jmap.js';
import type { LiveConfig } from '../config/live.js';
import { describeSchema, SCHEMA_PATH } from './schema-document.js';
import { permission, type TokenTable } from './tokens.js';

/** Answers a request the API does not (the web interface); false when it does not either. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface ApiServerOptions {
  live: LiveConfig;
  tokens: TokenTable;
  /** Largest accepted request body (default 1 MiB). */
  maxRequestBytes?: number;
  /** Answers the paths outside `/api` (the web interface); absent: they are 404. */
  web?: RequestHandler;
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

/** The permissions of the request's bearer token; null (after answering 401) when it has none. */
function authenticate(req: IncomingMessage, res: ServerResponse, tokens: TokenTable): ReadonlySet<string> | null {
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const permissions = auth ? tokens.lookup(auth[1]!) : null;
  if (permissions === null) {
    req.resume();
    reply(res, { status: 401, body: { type: 'about:blank', status: 401, detail: auth ? 'Unknown token' : 'Missing bearer token' } }, { 'WWW-Authenticate': 'Bearer realm="mta-expr"' });
  }
  return permissions;
}

export function createApiServer(options: ApiServerOptions): Server {
  const limit = options.maxRequestBytes ?? 1024 * 1024;
  return createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === SCHEMA_PATH) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, { status: 405, body: { type: 'about:blank', status: 405, detail: 'Use GET' } }, { Allow: 'GET, HEAD' });
        const permissions = authenticate(req, res, options.tokens);
        if (permissions !== null) reply(res, { status: 200, body: describeSchema(options.live.schema, (object, action) => permissions.has(permission(object, action))) });
        return;
      }
      if (path !== '/api' && options.web?.(req, res)) return;
      if (path !== '/api') return reply(res, { status: 404, body: { type: 'about:blank', status: 404, detail: 'Not found: the API is POST /api' } });
      if (req.method !== 'POST') return reply(res, { status: 405, body: { type: 'about:blank', status: 405, detail: 'Use POST' } }, { Allow: 'POST' });
      const permissions = authenticate(req, res, options.tokens);
      if (permissions === null) return;
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
