/**
 * The management API over HTTP (or HTTPS), every resource but the well-known redirect and
 * the health report behind `Authorization: Bearer TOKEN` (a missing or unknown token is HTTP 401):
 *
 *   GET  /.well-known/jmap       redirects to the Session resource
 *   GET  /jmap/session           the JMAP Session resource (session.ts)
 *   POST /api                    JMAP API requests (jmap.ts), within the limits of the session
 *   GET  /api/schema             redirects to /api/schema/<digest>, the schema resource (schema-resource.ts)
 *
 *   GET  /jmap/eventsource/      push: a state event after each change (push.ts)
 *
 *   GET  /health                 (no token) whether this node serves what the cluster stores:
 *                                `{"status": "ok" | "degraded", "states", "configStore":
 *                                {ok, since, error?, store}, "stores": [{name, type, ok,
 *                                since, error?}]}`, HTTP 200 while the node serves (a
 *                                degraded node still answers with its last good configuration)
 *
 * Every other path goes to the `web` handler when one is given (the web interface, whose
 * files are public: they hold no configuration).
 *
 * The session's download and upload URLs answer as a server without blobs does (no blob
 * exists; uploads exceed maxSizeUpload 0).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { LiveConfig, StoreHealth } from '../config/live.js';
import type { BackendStatus } from '../lookups/status.js';
import { handleJmap, problem, type HttpAnswer } from './jmap.js';
import { eventSource } from './push.js';
import { schemaResource } from './schema-resource.js';
import { apiLimits, sessionResource, type ApiLimits } from './session.js';
import type { Caller, TokenTable } from './tokens.js';

/** Answers a request outside the API (the web interface); false when it does not either. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface ApiServerOptions {
  live: LiveConfig;
  tokens: TokenTable;
  /** The limits to enforce (the others keep their defaults, those of the reference server). */
  limits?: Partial<ApiLimits>;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Answers the paths outside the API (the web interface); absent: they are 404. */
  web?: RequestHandler;
  /** The lookup stores, for the health endpoint. */
  stores?: () => BackendStatus[];
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** The state of each object in force on this node. */
  states: Record<string, string>;
  configStore: StoreHealth;
  stores: BackendStatus[];
}

/** The health report: the configuration store and the lookup stores as this node sees them. */
export function healthReport(options: Pick<ApiServerOptions, 'live' | 'stores'>): HealthReport {
  const { live } = options;
  const configStore = live.health();
  const stores = options.stores?.() ?? [];
  const ok = configStore.ok && stores.every((s) => s.ok);
  return { status: ok ? 'ok' : 'degraded', states: Object.fromEntries(Object.keys(live.schema).map((name) => [name, live.stateOf(name)])), configStore, stores };
}

const plainProblem = (status: number, detail: string): HttpAnswer => ({ status, body: { type: 'about:blank', status, detail } });

function reply(res: ServerResponse, answer: HttpAnswer, headers: Record<string, string> = {}): void {
  const problemType = (answer.body as { type?: unknown } | null)?.type;
  const contentType = answer.status === 200 ? 'application/json' : typeof problemType === 'string' ? 'application/problem+json' : 'application/json';
  res.writeHead(answer.status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', ...headers });
  res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(307, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
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

/** `application/json`, with parameters, the charset (if any) UTF-8. */
function isJson(contentType: string | undefined): boolean {
  const m = /^\s*application\/json\s*(;.*)?$/i.exec(contentType ?? '');
  if (!m) return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(m[1] ?? '');
  return charset === null || /^utf-?8$/i.test(charset[1]!);
}

/** `http(s)://host[:port]` as the client addressed the server. */
function origin(req: IncomingMessage, secure: boolean): string {
  const host = req.headers.host;
  if (host !== undefined && /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/.test(host)) return `${secure ? 'https' : 'http'}://${host}`;
  const { localAddress, localPort } = req.socket;
  const address = localAddress?.includes(':') ? `[${localAddress}]` : (localAddress ?? '127.0.0.1');
  return `${secure ? 'https' : 'http'}://${address}:${localPort ?? 0}`;
}

const methodNotAllowed = (res: ServerResponse, allow: string): void =>
  reply(res, plainProblem(405, `Use ${allow}`), { Allow: allow });

/** The open event streams of each server (ended when it stops). */
const eventStreams = new WeakMap<Server | HttpsServer, Set<ServerResponse>>();

/** Stops a server made by createApiServer: no new connections, open event streams ended, idle connections closed. */
export function closeApiServer(server: Server | HttpsServer): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const res of eventStreams.get(server) ?? []) res.end();
  server.closeIdleConnections();
  return closed;
}

export function createApiServer(options: ApiServerOptions): Server | HttpsServer {
  const { live, tokens } = options;
  const limits = apiLimits(options.limits);
  const secure = options.tls !== undefined;
  const schema = schemaResource(live.schema);
  const inFlight = new Map<string, number>();
  const streams = new Set<ServerResponse>();

  const authenticate = (req: IncomingMessage, res: ServerResponse): Caller | null => {
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const caller = auth ? tokens.lookup(auth[1]!) : null;
    if (caller === null) {
      req.resume();
      reply(res, plainProblem(401, auth ? 'Unknown token' : 'Missing bearer token'), { 'WWW-Authenticate': 'Bearer realm="mta-expr"' });
    }
    return caller;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> => {
    const running = inFlight.get(caller.name) ?? 0;
    if (running >= limits.maxConcurrentRequests) {
      req.resume();
      return reply(res, problem('limit', `This token already has ${running} requests being answered; the limit is ${limits.maxConcurrentRequests}.`, { limit: 'maxConcurrentRequests' }));
    }
    inFlight.set(caller.name, running + 1);
    res.once('close', () => {
      const n = (inFlight.get(caller.name) ?? 1) - 1;
      if (n === 0) inFlight.delete(caller.name);
      else inFlight.set(caller.name, n);
    });
    const json = isJson(req.headers['content-type']);
    const body = await readBody(req, limits.maxSizeRequest);
    if (body === null) return reply(res, problem('limit', `The request is larger than ${limits.maxSizeRequest} bytes.`, { limit: 'maxSizeRequest' }));
    if (!json) return reply(res, problem('notJSON', `The request's Content-Type must be application/json, not ${req.headers['content-type'] ?? 'absent'}.`));
    reply(res, await handleJmap(body, caller, live, limits));
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/.well-known/jmap') {
        req.resume();
        return req.method === 'GET' || req.method === 'HEAD' ? redirect(res, '/jmap/session') : methodNotAllowed(res, 'GET');
      }
      if (path === '/health') {
        req.resume();
        return req.method === 'GET' || req.method === 'HEAD' ? reply(res, { status: 200, body: healthReport(options) }) : methodNotAllowed(res, 'GET');
      }
      const schemaDigest = /^\/api\/schema\/([A-Za-z0-9_-]+)$/.exec(path)?.[1];
      const known = path === '/api' || path === '/jmap/session' || path === '/api/schema' || schemaDigest !== undefined || path.startsWith('/jmap/');
      if (!known && !path.startsWith('/api/') && options.web?.(req, res)) return;
      if (!known) {
        req.resume();
        return reply(res, plainProblem(404, 'Not found: the JMAP session is GET /jmap/session, the API POST /api'));
      }
      const allow = path === '/api' || path.startsWith('/jmap/upload/') ? 'POST' : 'GET';
      if (req.method !== allow && !(allow === 'GET' && req.method === 'HEAD')) {
        req.resume();
        return methodNotAllowed(res, allow);
      }
      const caller = authenticate(req, res);
      if (caller === null) return;
      if (path === '/api') return api(req, res, caller);
      req.resume();
      if (path.startsWith('/jmap/upload/')) return reply(res, problem('limit', 'This server accepts no uploads (maxSizeUpload is 0).', { limit: 'maxSizeUpload' }));
      if (path === '/jmap/session') return reply(res, { status: 200, body: sessionResource(caller, live.schema, limits, origin(req, secure)) });
      if (path === '/api/schema') return redirect(res, `/api/schema/${schema.digest}`);
      if (schemaDigest === schema.digest) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'private, max-age=31536000, immutable' });
        return void res.end(schema.body);
      }
      if (schemaDigest !== undefined) return reply(res, plainProblem(404, 'No schema of that digest: GET /api/schema for the current one'));
      if (path.startsWith('/jmap/download/')) return reply(res, plainProblem(404, 'No such blob: this server holds no blobs'));
      if (path === '/jmap/eventsource/' || path === '/jmap/eventsource') {
        const refused = eventSource(req, res, caller, live, streams);
        return refused ? reply(res, refused) : undefined;
      }
      return reply(res, plainProblem(404, 'Not found'));
    })().catch((e: unknown) => {
      if (!res.headersSent) reply(res, plainProblem(500, e instanceof Error ? e.message : String(e)));
      else res.destroy();
    });
  };
  const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createServer(handler);
  eventStreams.set(server, streams);
  return server;
}
