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
 *
 * Under abuse the server holds (HttpLimits): connections are limited in total and per client
 * address (one more is closed at once), a request must send its headers within
 * `headersTimeout` and the whole of itself within `requestTimeout` (then 408 and the
 * connection is closed), an idle keep-alive connection is closed after `keepAliveTimeout`.
 * A body larger than maxSizeRequest is answered 413 as soon as its Content-Length says so (or
 * the bytes read pass it) and the connection is closed without reading the rest; a body the
 * server does not read (401, 404, …) is drained only when it is small. An error inside the
 * server reaches the client as a request id; the detail is one log line with that id.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { LiveConfig, StoreHealth } from '../config/live.js';
import type { BackendStatus } from '../lookups/status.js';
import { failureDetail, handleJmap, problem, requestLog, type HttpAnswer } from './jmap.js';
import { eventSource } from './push.js';
import { schemaResource } from './schema-resource.js';
import { apiLimits, positiveLimits, sessionResource, type ApiLimits } from './session.js';
import type { Caller, TokenTable } from './tokens.js';

/** Answers a request outside the API (the web interface); false when it does not either. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** What one client can hold of the server: connections and how long a request may take (ms). */
export interface HttpLimits {
  /** Open connections in all (one more is closed at once). */
  maxConnections: number;
  /** Open connections from one client address. */
  maxConnectionsPerAddress: number;
  /** From the connection (or the end of the previous request) to the end of the request's headers. */
  headersTimeout: number;
  /** From the connection (or the end of the previous request) to the end of the request's body. */
  requestTimeout: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeout: number;
  /** Requests on one keep-alive connection (then it is closed). */
  maxRequestsPerConnection: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxConnections: 512,
  maxConnectionsPerAddress: 64,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxRequestsPerConnection: 1000,
};

/** The limits with `given` over the defaults; throws TypeError for one that is not a positive integer or a timeout order that cannot hold. */
export function httpLimits(given: Partial<HttpLimits> = {}): HttpLimits {
  const limits = positiveLimits<HttpLimits>(DEFAULT_HTTP_LIMITS, given);
  if (limits.headersTimeout > limits.requestTimeout) throw new TypeError(`headersTimeout (${limits.headersTimeout} ms) must not be longer than requestTimeout (${limits.requestTimeout} ms)`);
  return limits;
}

export interface ApiServerOptions {
  live: LiveConfig;
  tokens: TokenTable;
  /** The limits to enforce (the others keep their defaults, those of the reference server). */
  limits?: Partial<ApiLimits>;
  /** Connections and timeouts (the others keep their defaults). */
  connections?: Partial<HttpLimits>;
  /** Where the detail of an internal failure goes, one line each (default stderr). */
  log?: (line: string) => void;
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

/** The body, or null as soon as it is larger than the limit (then nothing more of it is read). */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The largest body drained to keep a connection open when it is not read (401, 404, …); a larger one closes the connection. */
const DRAINED_BODY = 64 * 1024;

/**
 * A request whose body the server does not read: a small one is drained so the connection
 * can serve the next request; a large one (or one of unknown length) closes the connection
 * after the answer. Returns the headers of the answer.
 */
function skipBody(req: IncomingMessage): Record<string, string> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || Number(length) <= DRAINED_BODY)) {
    req.resume();
    return {};
  }
  return { Connection: 'close' };
}

/** A declared body length over the limit. */
function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && !(Number(length) <= limit);
}

/** 413, and the connection closed once the answer is sent: the rest of the body is never read. */
function tooLarge(res: ServerResponse, limit: number): void {
  const answer = problem('limit', `The request is larger than maxSizeRequest (${limit} bytes).`, { limit: 'maxSizeRequest' });
  reply(res, { status: 413, body: { ...(answer.body as Record<string, unknown>), status: 413 } }, { Connection: 'close' });
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

const methodNotAllowed = (req: IncomingMessage, res: ServerResponse, allow: string): void =>
  reply(res, plainProblem(405, `Use ${allow}`), { Allow: allow, ...skipBody(req) });

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
  const connections = httpLimits(options.connections);
  const log = options.log ?? ((line: string) => void process.stderr.write(line));
  const secure = options.tls !== undefined;
  const schema = schemaResource(live.schema);
  const inFlight = new Map<string, number>();
  const streams = new Set<ServerResponse>();

  const authenticate = (req: IncomingMessage, res: ServerResponse): Caller | null => {
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const caller = auth ? tokens.lookup(auth[1]!) : null;
    if (caller === null) {
      reply(res, plainProblem(401, auth ? 'Unknown token' : 'Missing bearer token'), { 'WWW-Authenticate': 'Bearer realm="mta-expr"', ...skipBody(req) });
    }
    return caller;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, caller: Caller, requestId: string): Promise<void> => {
    const running = inFlight.get(caller.name) ?? 0;
    if (running >= limits.maxConcurrentRequests) {
      return reply(res, problem('limit', `This token already has ${running} requests being answered; the limit is ${limits.maxConcurrentRequests}.`, { limit: 'maxConcurrentRequests' }), skipBody(req));
    }
    inFlight.set(caller.name, running + 1);
    res.once('close', () => {
      const n = (inFlight.get(caller.name) ?? 1) - 1;
      if (n === 0) inFlight.delete(caller.name);
      else inFlight.set(caller.name, n);
    });
    const json = isJson(req.headers['content-type']);
    const body = await readBody(req, limits.maxSizeRequest);
    if (body === null) return tooLarge(res, limits.maxSizeRequest);
    if (!json) return reply(res, problem('notJSON', `The request's Content-Type must be application/json, not ${req.headers['content-type'] ?? 'absent'}.`));
    reply(res, await handleJmap(body, caller, live, limits, requestLog(requestId, log)));
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    void (async () => {
      if (declaredTooLarge(req, limits.maxSizeRequest)) return tooLarge(res, limits.maxSizeRequest);
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/.well-known/jmap') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET');
        req.resume();
        return redirect(res, '/jmap/session');
      }
      if (path === '/health') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET');
        req.resume();
        return reply(res, { status: 200, body: healthReport(options) });
      }
      const schemaDigest = /^\/api\/schema\/([A-Za-z0-9_-]+)$/.exec(path)?.[1];
      const known = path === '/api' || path === '/jmap/session' || path === '/api/schema' || schemaDigest !== undefined || path.startsWith('/jmap/');
      if (!known && !path.startsWith('/api/') && options.web?.(req, res)) return;
      if (!known) return reply(res, plainProblem(404, 'Not found: the JMAP session is GET /jmap/session, the API POST /api'), skipBody(req));
      const allow = path === '/api' || path.startsWith('/jmap/upload/') ? 'POST' : 'GET';
      if (req.method !== allow && !(allow === 'GET' && req.method === 'HEAD')) return methodNotAllowed(req, res, allow);
      const caller = authenticate(req, res);
      if (caller === null) return;
      if (path === '/api') return api(req, res, caller, requestId);
      if (path.startsWith('/jmap/upload/')) return reply(res, problem('limit', 'This server accepts no uploads (maxSizeUpload is 0).', { limit: 'maxSizeUpload' }), skipBody(req));
      req.resume();
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
      log(`api: request ${requestId}: ${req.method ?? '?'} ${(req.url ?? '/').split('?')[0]}: ${failureDetail(e)}\n`);
      if (res.headersSent) return void res.destroy();
      const answer = plainProblem(500, `Internal server error (request ${requestId}; the detail is in the server's log)`);
      reply(res, { status: 500, body: { ...(answer.body as Record<string, unknown>), requestId } }, skipBody(req));
    });
  };
  const serverOptions: ServerOptions = {
    headersTimeout: connections.headersTimeout,
    requestTimeout: connections.requestTimeout,
    keepAliveTimeout: connections.keepAliveTimeout,
    // How often the timeouts are checked: the default (30 s) would let a slow client hold a connection four times headersTimeout.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(connections.headersTimeout / 4))),
  };
  const server = options.tls ? createHttpsServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, handler) : createServer(serverOptions, handler);
  // `Expect: 100-continue`: a body over the limit is refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaredTooLarge(req, limits.maxSizeRequest)) res.writeContinue();
    handler(req, res);
  });
  server.keepAliveTimeout = connections.keepAliveTimeout;
  server.maxRequestsPerSocket = connections.maxRequestsPerConnection;
  limitConnections(server, connections);
  eventStreams.set(server, streams);
  return server;
}

/** Closes each connection over the limits at once: in all, and from one client address. */
function limitConnections(server: Server | HttpsServer, limits: HttpLimits): void {
  let open = 0;
  const byAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const fromAddress = byAddress.get(address) ?? 0;
    if (open >= limits.maxConnections || fromAddress >= limits.maxConnectionsPerAddress) return void socket.destroy();
    open++;
    byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      open--;
      const n = (byAddress.get(address) ?? 1) - 1;
      if (n === 0) byAddress.delete(address);
      else byAddress.set(address, n);
    });
  });
}
