/**
 * Serves the web interface: the static files built into `dist/web` by `npm run build`
 * (the page, its script and its style; no CDN), read once at start and kept in memory with
 * their gzip form and an ETag. Every answer carries a strict Content-Security-Policy: only
 * the server's own scripts, styles and connections, no inline script, no `eval`, no
 * framing, and Trusted Types required for every DOM sink (the page writes none). The page
 * talks to the API (`/api`, `/api/schema`) with the administrator's bearer token; these
 * files themselves are public (they hold no configuration).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { RequestHandler } from '../api/http.js';

/** The policy of every answer of the web interface. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
}

/** `dist/web` of this package, found from this module's place (src/, dist/ or the CLI bundle), or null. */
export function webAssetsDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'mta-expr') return join(dir, 'dist', 'web');
      } catch {
        // not our package.json: keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The files of a directory (not its subdirectories) by URL path; `/` is index.html. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined || !statSync(file).isFile()) continue;
    const body = readFileSync(file);
    const gzip = body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
    const asset = { type, body, gzip, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    assets.set(`/${name}`, asset);
    if (name === 'index.html') assets.set('/', asset);
  }
  return assets;
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

export interface WebOptions {
  /** The built files (default: `dist/web` of this package). */
  assets?: string;
}

/**
 * The handler of the web interface's paths, for `createApiServer({ web })`: GET and HEAD
 * of the built files; any other GET outside `/api` is a 404 page (with the policy).
 */
export function createWebHandler(options: WebOptions = {}): RequestHandler {
  const dir = options.assets ?? webAssetsDir();
  const assets = dir !== null && existsSync(join(dir, 'index.html')) ? loadAssets(dir) : null;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api' || path.startsWith('/api/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'Use GET\n', { Allow: 'GET, HEAD' });
      return true;
    }
    if (assets === null) {
      plain(res, 503, 'The web interface is not built: run `npm run build`.\n');
      return true;
    }
    const asset = assets.get(path);
    if (asset === undefined) {
      plain(res, 404, `Not found: ${path}\n`);
      return true;
    }
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Cache-Control': 'no-cache', ETag: asset.etag, Vary: 'Accept-Encoding' };
    if (String(req.headers['if-none-match'] ?? '').split(/\s*,\s*/).includes(asset.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = asset.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzip! : asset.body;
    res.writeHead(200, { ...headers, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}), 'Content-Length': String(body.length) });
    res.end(body);
    return true;
  };
}
