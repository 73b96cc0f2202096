/**
 * The web interface's server side, over HTTP: the built files with a strict CSP on every
 * answer (404s too), caching and compression, the session and the schema resource as the
 * page reads them (behind the bearer token); and the page's code: bundled for the browser
 * with no Node built-in, importing only the language entry, the schema resource's reader,
 * the JSON guards and its own folder.
 */
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, createWebHandler, LiveConfig, MemoryStore, SCHEMA, TokenTable, webAssetsDir } from '../../src/hosts/index.js';
import { readSchemaResource } from '../../src/hosts/api/schema-reader.js';
import { schemaResource } from '../../src/hosts/api/schema-resource.js';
import { defaultBlock } from '../../src/hosts/config/object.js';
import { pageObjects } from '../../src/hosts/web/page/schema.js';
import { blockSummary, formatTyped, navTree, toEditBlock, typeLabel } from '../../src/hosts/web/page/model.js';
import { durationText, VARIABLE_GROUPS } from '../../src/language/index.js';
import { ROOT } from '../support/helpers.js';

const ADMIN = 'admin-token-web-http';
const READER = 'reader-token-web-http';
let server: Server;
let origin: string;

async function start(web: ReturnType<typeof createWebHandler>): Promise<{ server: Server; origin: string }> {
  const live = await LiveConfig.open(new MemoryStore());
  const tokens = new TokenTable([
    { token: ADMIN, permissions: ['sysMtaStageAuthGet', 'sysMtaStageAuthUpdate', 'sysMtaStageConnectGet', 'sysMtaStageConnectUpdate'] },
    { token: READER, permissions: ['sysMtaStageAuthGet'] },
  ]);
  const s = createApiServer({ live, tokens, web });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { server: s, origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  ({ server, origin } = await start(createWebHandler()));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const POLICY = /^default-src 'self'; script-src 'self'; style-src 'self';.* object-src 'none'; base-uri 'none'; .*frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'$/;

describe('the web interface over HTTP', () => {
  it('serves the built page, its script and style at /, each with the policy and no CDN', async () => {
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    // Every resource is the server's own; no inline script or style.
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual(['/favicon.svg', '/app.css', '/app.js']);
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/);
    for (const [path, type] of [['/app.js', 'text/javascript; charset=utf-8'], ['/app.css', 'text/css; charset=utf-8'], ['/favicon.svg', 'image/svg+xml']] as const) {
      const r = await fetch(`${origin}${path}`);
      expect([path, r.status, r.headers.get('content-type'), r.headers.get('content-security-policy')]).toEqual([path, 200, type, expect.stringMatching(POLICY)]);
    }
  });

  it('answers unknown pages with 404, other methods with 405, both under the policy; /api is untouched', async () => {
    for (const path of ['/nothing', '/../package.json', '/%2e%2e/package.json', '/dist/cli.js', '/app.js/x', '/.hidden']) {
      const r = await fetch(`${origin}${path}`);
      expect([path, r.status, r.headers.get('content-security-policy')]).toEqual([path, 404, expect.stringMatching(POLICY)]);
    }
    const post = await fetch(`${origin}/`, { method: 'POST', body: '{}' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const api = await fetch(`${origin}/api`);
    expect([api.status, api.headers.get('allow')]).toEqual([405, 'POST']);
    const other = await fetch(`${origin}/api/other`);
    expect(other.status).toBe(404);
  });

  it('revalidates with ETag (304), answers HEAD without a body, and compresses the script', async () => {
    const first = await fetch(`${origin}/app.js`);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const body = Buffer.from(await first.arrayBuffer());
    const again = await fetch(`${origin}/app.js`, { headers: { 'If-None-Match': `"other", ${etag}` } });
    expect([again.status, (await again.arrayBuffer()).byteLength, again.headers.get('content-security-policy')]).toEqual([304, 0, expect.stringMatching(POLICY)]);
    const head = await fetch(`${origin}/`, { method: 'HEAD' });
    expect([head.status, (await head.arrayBuffer()).byteLength]).toEqual([200, 0]);
    // fetch decodes gzip itself: ask through node:http for the raw bytes.
    const { request } = await import('node:http');
    const raw = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      request(`${origin}/app.js`, { headers: { 'Accept-Encoding': 'gzip, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(raw.encoding).toBe('gzip');
    expect(raw.bytes.length).toBeLessThan(body.length / 2);
    expect(gunzipSync(raw.bytes).equals(body)).toBe(true);
  });

  it('says so when the page is not built', async () => {
    const empty = await start(createWebHandler({ assets: mkdtempSync(join(tmpdir(), 'mta-expr-no-web-')) }));
    try {
      const r = await fetch(`${empty.origin}/`);
      expect([r.status, await r.text(), r.headers.get('content-security-policy')]).toEqual([503, 'The web interface is not built: run `npm run build`.\n', expect.stringMatching(POLICY)]);
    } finally {
      await new Promise((resolve) => empty.server.close(resolve));
    }
    expect(webAssetsDir()).toBe(join(ROOT, 'dist', 'web'));
  });
});

describe('what the page reads of the server', () => {
  /** The session and the schema resource as the page fetches them (the redirect followed). */
  async function read(token: string): Promise<{ session: any; objects: ReturnType<typeof pageObjects> }> {
    const headers = { Authorization: `Bearer ${token}` };
    const session = (await (await fetch(`${origin}/jmap/session`, { headers })).json()) as any;
    const schema = await fetch(`${origin}/api/schema`, { headers });
    expect([schema.status, schema.redirected, schema.headers.get('cache-control')]).toEqual([200, true, 'private, max-age=31536000, immutable']);
    const permissions: string[] = session.accounts[session.primaryAccounts['urn:stalwart:jmap']].accountCapabilities['urn:stalwart:jmap'].permissions;
    return { session, objects: pageObjects(readSchemaResource((await schema.json()) as Record<string, unknown>), new Set(permissions)) };
  }

  it('needs the bearer token for the session and the schema', async () => {
    for (const path of ['/jmap/session', '/api/schema']) {
      const none = await fetch(`${origin}${path}`, { redirect: 'manual' });
      expect([path, none.status, none.headers.get('www-authenticate')]).toEqual([path, 401, 'Bearer realm="mta-expr"']);
      const wrong = await fetch(`${origin}${path}`, { headers: { Authorization: 'Bearer not-a-token-at-all' }, redirect: 'manual' });
      expect(wrong.status).toBe(401);
    }
  });

  it('describes every object of the one schema resource, with what the token may do from the session', async () => {
    const { session, objects } = await read(ADMIN);
    expect(session.accounts.config.accountCapabilities['urn:stalwart:jmap'].permissions).toEqual(['sysMtaStageAuthGet', 'sysMtaStageAuthUpdate', 'sysMtaStageConnectGet', 'sysMtaStageConnectUpdate']);
    expect(Object.keys(objects)).toEqual(Object.keys(SCHEMA));
    const auth = objects.MtaStageAuth!;
    expect(auth.location).toBe('Settings › MTA › Session › AUTH Stage');
    expect(auth.access).toEqual({ get: true, update: true });
    expect(Object.keys(auth.fields)).toEqual(Object.keys(SCHEMA.MtaStageAuth!.fields));
    const sasl = SCHEMA.MtaStageAuth!.fields.saslMechanisms!;
    expect(auth.fields.saslMechanisms).toEqual({
      type: 'constantList',
      description: sasl.description,
      variables: 'MtaEhloVariable',
      constants: 'MtaAuthTypeConstant',
      variableNames: VARIABLE_GROUPS.MtaEhloVariable,
      constantNames: ['login', 'plain', 'xoauth2', 'oauthbearer'],
      default: defaultBlock(sasl),
      fallback: [],
    });
    expect(auth.fields.saslMechanisms!.variableNames).toContain('local_port');
    expect(objects.MtaStageConnect!.fields.smtpGreeting).toMatchObject({ type: 'string', smtpLine: true });

    const reader = await read(READER);
    expect(reader.objects.MtaStageAuth!.access).toEqual({ get: true, update: false });
    expect(reader.objects.MtaStageConnect!.access).toEqual({ get: false, update: false });
  });
});

describe('the page’s code', () => {
  const PAGE = join(ROOT, 'src', 'hosts', 'web', 'page');

  it('imports only its own folder, the language entry, the readers of the schema resource and of /set warnings, and the JSON guards', () => {
    const faults: string[] = [];
    for (const file of readdirSync(PAGE).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(PAGE, file), 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
        const [, typeOnly, spec] = m;
        const ok = spec!.startsWith('./') || ['../../../language/index.js', '../../api/schema-reader.js', '../../api/warnings.js', '../../json.js'].includes(spec!);
        if (!ok) faults.push(`${file} imports ${typeOnly ? 'type ' : ''}${spec}`);
      }
    }
    expect(faults).toEqual([]);
  });

  it('bundles for the browser with no Node built-in', async () => {
    const result = await build({ absWorkingDir: ROOT, entryPoints: [join(PAGE, 'main.ts')], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/["']node:[a-z]/);
    // No code from strings and no HTML parsing: the page builds the DOM node by node (Trusted Types would refuse the rest).
    expect(code).not.toMatch(/\bnew Function\b|innerHTML|outerHTML\s*=|insertAdjacentHTML|document\.write/);
  });

  it('makes the navigation from the locations, in schema order', () => {
    expect(navTree({ A: { location: 'Settings › MTA › Session › AUTH Stage' }, B: { location: 'Settings › MTA › Queue' }, C: { location: 'Settings › MTA › Session › Connect Stage' }, D: { location: '' } })).toEqual([
      {
        label: 'Settings',
        children: [
          {
            label: 'MTA',
            children: [
              { label: 'Session', children: [{ label: 'AUTH Stage', object: 'A', children: [] }, { label: 'Connect Stage', object: 'C', children: [] }] },
              { label: 'Queue', object: 'B', children: [] },
            ],
          },
        ],
      },
      { label: 'D', object: 'D', children: [] },
    ]);
  });

  it('carries a rate field through the schema resource to the page, and reads its value as the page shows it', () => {
    const schema = {
      ...SCHEMA,
      MtaRateLimit: {
        description: 'How often a sender may send.',
        location: 'Settings › MTA › Rate',
        singleton: true,
        fields: { rate: { type: 'rate' as const, description: 'Messages per period.', variables: 'MtaMailFromVariable', constants: null, default: { match: [], else: '[10, 1m]' } } },
      },
    };
    const objects = pageObjects(readSchemaResource(JSON.parse(schemaResource(schema).body) as Record<string, unknown>), new Set());
    const rate = objects.MtaRateLimit!.fields.rate!;
    expect(rate.type).toBe('rate');
    expect(typeLabel(rate)).toBe('rate');
  });

  it('reads blocks in both JSON forms and says values as people read them', () => {
    expect(toEditBlock({ match: { '1': { if: 'b', then: '2' }, '0': { if: 'a', then: '1' } }, else: '3' })).toEqual({ match: [{ if: 'a', then: '1' }, { if: 'b', then: '2' }], else: '3' });
    expect(toEditBlock({ else: 'false' })).toEqual({ match: [], else: 'false' });
    expect(blockSummary(toEditBlock({ match: [{ if: 'is_tls', then: '[plain]' }], else: 'false' }))).toBe('if is_tls then [plain] · else false');
    expect(typeLabel({ type: 'constantList', constants: 'MtaAuthTypeConstant' })).toBe('list of MtaAuthTypeConstant');
    expect([5000, 300_000, 1500, 7_200_000, 86_400_000, 90_000].map(durationText)).toEqual(['5s', '5m', '1500ms', '2h', '1d', '90s']);
    expect(formatTyped('duration', 5000)).toBe('5s');
    expect(formatTyped('constantList', ['plain', 'login'])).toBe('plain, login');
    expect(formatTyped('constantList', [])).toBe('none (empty list)');
    expect(formatTyped('optionalString', null)).toBe('none');
    expect(formatTyped('rate', { count: 10, period: 60_000 })).toBe('10 per 1m');
  });
});
