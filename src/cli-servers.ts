/**
 * The CLI's long-running and remote commands: `smtp`, `serve` (management API, optionally
 * with the SMTP server on the live configuration), and the API client commands `get` and
 * `update`.
 */
import { once } from 'node:events';
import { createApiServer } from './api/http.js';
import { CORE, STALWART } from './api/jmap.js';
import { LiveConfig } from './api/live-config.js';
import { FileStore } from './api/store.js';
import { PERMISSIONS, TokenTable, type TokenEntry } from './api/tokens.js';
import type { BlockInput } from './block.js';
import { loadServerConfig, serverConfig, type ServerConfig } from './config/file.js';
import { ConfigError } from './config/object.js';
import { SessionPolicy, type PolicyConfig } from './config/policy.js';
import { SCHEMA } from './config/schema.js';
import { CompileError } from './errors.js';
import { PolicySmtpServer } from './smtp/server.js';
import { selfSignedCertificate } from './smtp/tls.js';

export class UsageError extends Error {}

type Values = Record<string, string | boolean | string[] | undefined>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function port(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number`);
  return n;
}

function readConfig(values: Values): ServerConfig | null {
  try {
    return values.config ? loadServerConfig(str(values.config)!) : serverConfig({});
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.object}.${e.field}: ${e.cause instanceof CompileError ? e.cause.render() : e.cause}\n`);
      return null;
    }
    throw e;
  }
}

const untilSignal = (): Promise<void> =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

/** Starts the SMTP server on a configuration provider; resolves with the running server. */
async function startSmtp(values: Values, config: ServerConfig, objects: () => PolicyConfig): Promise<PolicySmtpServer> {
  const hostname = str(values.hostname) ?? 'localhost';
  const tls = config.tls ?? (await selfSignedCertificate(hostname));
  const domain = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : hostname;
  const policy = new SessionPolicy(objects, {
    env: { system: { hostname, domain } },
    onError: (e) => process.stderr.write(`policy: ${e.object}.${e.field}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}\n`),
  });
  const host = str(values.host) ?? '127.0.0.1';
  const server = new PolicySmtpServer({
    policy,
    host,
    tls,
    users: config.users,
    verbose: values.verbose === true,
    listeners: [
      { name: 'smtp', port: port(str(values['smtp-port']), 2525, '--smtp-port'), presentPort: 25 },
      { name: 'submission', port: port(str(values['submission-port']), 2587, '--submission-port'), presentPort: 587 },
    ],
    onMessage: (m) => process.stdout.write(`message via ${m.listener} from <${m.from}> to ${m.to.map((t) => `<${t}>`).join(', ')}${m.user ? ` (user ${m.user})` : ''}: ${m.data.length} bytes\n`),
  });
  const ports = await server.start();
  process.stdout.write(
    `mta-expr SMTP server ${hostname}: smtp on ${host}:${ports.smtp} (local_port 25), submission on ${host}:${ports.submission} (local_port 587); STARTTLS on both${config.tls ? '' : ' (self-signed certificate)'}\n`,
  );
  return server;
}

/** `mta-expr smtp`: the SMTP server on the configuration file, until SIGINT or SIGTERM. */
export async function smtpCommand(values: Values): Promise<number> {
  const config = readConfig(values);
  if (config === null) return 1;
  const server = await startSmtp(values, config, () => config.objects);
  await untilSignal();
  await server.stop();
  return 0;
}

function listenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new UsageError('--listen must be HOST:PORT');
  return { host: m[1] ?? m[2]!, port: port(m[3], 8080, '--listen') };
}

/** `mta-expr serve`: the management API on a data directory (and the SMTP server with --smtp). */
export async function serveCommand(values: Values): Promise<number> {
  const data = str(values.data);
  if (!data) throw new UsageError('serve needs --data DIR');
  const { host, port: apiPort } = listenAddress(str(values.listen) ?? '127.0.0.1:8080');
  const config = readConfig(values);
  if (config === null) return 1;
  const entries: TokenEntry[] = [...config.tokens];
  const admin = process.env.MTA_EXPR_ADMIN_TOKEN;
  if (admin) entries.push({ token: admin, permissions: PERMISSIONS });
  let tokens: TokenTable;
  try {
    tokens = new TokenTable(entries);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (entries.length === 0) process.stderr.write('warning: no tokens (set MTA_EXPR_ADMIN_TOKEN or list tokens in --config): every request gets 401\n');
  let live: LiveConfig;
  try {
    live = await LiveConfig.open(new FileStore(data), config.overrides);
  } catch (e) {
    process.stderr.write(`cannot open the configuration in ${data}: ${(e as Error).message}\n`);
    return 1;
  }
  const api = createApiServer({ live, tokens });
  api.listen(apiPort, host);
  await once(api, 'listening');
  const bound = (api.address() as { port: number }).port;
  process.stdout.write(`mta-expr management API on http://${host.includes(':') ? `[${host}]` : host}:${bound}/api (configuration in ${data}, state ${live.state})\n`);
  const smtp = values.smtp ? await startSmtp(values, config, () => live.policyConfig()) : null;
  await untilSignal();
  await smtp?.stop();
  await new Promise<void>((resolve) => api.close(() => resolve()));
  return 0;
}

interface JmapResponse {
  methodResponses?: Array<[string, Record<string, unknown>, string]>;
  detail?: string;
}

async function call(values: Values, method: string, args: Record<string, unknown>): Promise<[string, Record<string, unknown>]> {
  const base = (str(values.url) ?? process.env.MTA_EXPR_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const url = base.endsWith('/api') ? base : base + '/api';
  const token = str(values.token) ?? process.env.MTA_EXPR_TOKEN ?? process.env.MTA_EXPR_ADMIN_TOKEN;
  if (!token) throw new UsageError('no token: give --token or set MTA_EXPR_TOKEN');
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: [CORE, STALWART], methodCalls: [[method, args, 'c1']] }),
    });
  } catch (e) {
    throw new UsageError(`cannot reach ${url}: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as JmapResponse;
  if (res.status !== 200) throw new UsageError(`${res.status} ${res.statusText}: ${body.detail ?? ''}`.trim());
  const first = body.methodResponses?.[0];
  if (!first) throw new UsageError('the server gave no method response');
  return [first[0], first[1]];
}

/** `mta-expr get OBJECT` and `mta-expr update OBJECT --field NAME=BLOCK`. */
export async function clientCommand(command: 'get' | 'update', values: Values, rest: string[]): Promise<number> {
  const object = rest[0];
  if (!object || !Object.prototype.hasOwnProperty.call(SCHEMA, object)) throw new UsageError(`give the object: ${Object.keys(SCHEMA).join(' or ')}`);
  if (command === 'get') {
    const [name, result] = await call(values, `x:${object}/get`, { ids: ['singleton'] });
    if (name === 'error') return methodError(result);
    const record = (result.list as Array<Record<string, unknown>>)[0] ?? {};
    const lines = [`${object} (state ${String(result.state)})`];
    for (const [field, block] of Object.entries(record)) if (field !== 'id') lines.push(`  ${field}: ${JSON.stringify(block)}`);
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  }
  const fields = (values.field as string[] | undefined) ?? [];
  if (fields.length === 0) throw new UsageError('update needs at least one --field NAME=BLOCK');
  const patch: Record<string, BlockInput | null> = {};
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--field ${f}: expected NAME=BLOCK`);
    try {
      patch[f.slice(0, eq)] = JSON.parse(f.slice(eq + 1)) as BlockInput | null;
    } catch (e) {
      throw new UsageError(`--field ${f.slice(0, eq)}: the block is not JSON: ${(e as Error).message}`);
    }
  }
  const [name, result] = await call(values, `x:${object}/set`, { update: { singleton: patch } });
  if (name === 'error') return methodError(result);
  const rejected = (result.notUpdated as Record<string, { type: string; properties?: string[]; description?: string }> | null)?.singleton;
  if (rejected) {
    process.stderr.write(`rejected (${rejected.type}${rejected.properties ? `: ${rejected.properties.join(', ')}` : ''}):\n${rejected.description ?? ''}\n`);
    return 1;
  }
  process.stdout.write(`updated ${object}: ${Object.keys(patch).join(', ')} (state ${String(result.oldState)} → ${String(result.newState)})\n`);
  return 0;
}

function methodError(result: Record<string, unknown>): number {
  process.stderr.write(`error: ${String(result.type)}${result.description ? `: ${String(result.description)}` : ''}\n`);
  return 1;
}
