/**
 * The long-running commands: `smtp` (the SMTP server on the configuration file) and
 * `serve` (the management API on a data directory, and with `--smtp` the SMTP server on
 * the live configuration). Both run until SIGINT or SIGTERM.
 *
 * The lookups (stores, directory, DNS) come from the configuration file; `serve` keeps the
 * configuration in `--data DIR`, or, with `configStore` in the file, in the PostgreSQL
 * database a cluster shares. Each change of a store's reachability is one line on stderr.
 *
 * Both log one line per event on stderr (log.ts: text, or JSON with `--log-format json`).
 * SIGHUP reads the configuration file again and puts its users and TLS certificate in force
 * (for `smtp` on the file, its objects too); a file that fails keeps what runs, and the log
 * says why. SIGTERM stops accepting and closes within a bounded time (listen.ts).
 */
import { once } from 'node:events';
import { closeApiServer, createApiServer } from '../api/http.js';
import { DEFAULT_LIMITS, type ApiLimits } from '../api/session.js';
import { ADMIN_NAME, PERMISSIONS, TokenTable, type TokenEntry } from '../api/tokens.js';
import type { ConfigObjects } from '../config/live.js';
import type { ErrorHook } from '../config/object.js';
import { PostgresConfigStore } from '../config/postgres-store.js';
import { FileStore } from '../config/store.js';
import { str } from '../json.js';
import type { Log } from '../log.js';
import { SessionPolicy } from '../smtp/policy.js';
import { SessionRecorder } from '../smtp/record.js';
import { DEFAULT_SMTP_LIMITS } from '../smtp/limits.js';
import { PolicySmtpServer } from '../smtp/server.js';
import { selfSignedCertificate } from '../smtp/tls.js';
import { createWebHandler } from '../web/server.js';
import { CommandError, UsageError, type CommandArgs, type FlagValues, type Io } from './io.js';
import { listenAddress, listenFailure, port, runUntilSignal, SHUTDOWN_TIMEOUT_MS } from './listen.js';
import { delivery, serverLog, smtpLimits } from './smtp-options.js';
import { DELIVERY_FLAGS } from './delivery-flags.js';
import { loadServerConfig, openLive, serverConfig, serverEnvironment, serverObjects, type ServerConfig, type ServerEnvironment, type ServerObjects } from './server-config.js';

function readConfig(values: FlagValues): ServerConfig {
  const file = str(values.config);
  return file ? loadServerConfig(file) : serverConfig({});
}

/** `system('hostname')` of the servers, and the name of their certificate. */
const hostnameOf = (values: FlagValues): string => str(values.hostname) ?? 'localhost';

/** How long the same field's lookup failure is told only once (a store down fails every session). */
const LOOKUP_LOG_QUIET_MS = 10_000;

/** The policy's error hook: one line per field error; a field's lookup failures at most once per 10 s, with the count of those not told. */
function policyLog(log: Log): ErrorHook {
  const quiet = new Map<string, { until: number; untold: number }>();
  return (e) => {
    const message = e.cause instanceof Error ? e.cause.message : String(e.cause);
    if ((e.cause as { code?: unknown } | null)?.code === 'lookup') {
      const key = `${e.object}.${e.field}`;
      const now = Date.now();
      const q = quiet.get(key);
      if (q !== undefined && now < q.until) {
        q.untold++;
        return;
      }
      quiet.set(key, { until: now + LOOKUP_LOG_QUIET_MS, untold: 0 });
      const more = q !== undefined && q.untold > 0 ? ` (and ${q.untold} more since the last line)` : '';
      log.event('policy', 'lookup-failed', `${key}: ${message}${more}`, { object: e.object, field: e.field, untold: q?.untold }, 'warn');
      return;
    }
    log.event('policy', 'field-error', `${e.object}.${e.field}: ${message}`, { object: e.object, field: e.field }, 'warn');
  };
}

/** The running SMTP server: what stops it (with the record file, if any), and what puts a reloaded file's users and certificate in force. */
interface RunningSmtp {
  stop(): Promise<void>;
  reload(config: ServerConfig): void;
}

/** The `Io` of the helpers that write text lines: stdout as it is, stderr through the log. */
const logged = (io: Io, log: Log): Io => ({ ...io, stderr: log.lines });

/** Starts the SMTP server on a configuration provider and the server's environment; resolves with the running server. */
async function startSmtp(values: FlagValues, config: ServerConfig, objects: () => ConfigObjects, io: Io, command: string, environment: ServerEnvironment, log: Log): Promise<RunningSmtp> {
  const hostname = hostnameOf(values);
  const tls = config.tls ?? (await selfSignedCertificate(hostname));
  const limits = smtpLimits(values, command);
  const accepted = await delivery(values, command, hostname, log);
  const recordFile = str(values.record);
  let recorder: SessionRecorder | undefined;
  try {
    recorder = recordFile === undefined ? undefined : await SessionRecorder.open(recordFile, (m) => log.event('smtp', 'record', m, {}, 'warn'));
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const policy = new SessionPolicy(objects, {
    env: environment.env,
    onError: policyLog(log),
    stageTimeout: limits.stageTimeout ?? DEFAULT_SMTP_LIMITS.stageTimeout,
    ...(recorder ? { onStage: recorder.record } : {}),
  });
  const host = str(values.host) ?? '127.0.0.1';
  const smtpPort = port(str(values['smtp-port']), 2525, '--smtp-port', command);
  const submissionPort = port(str(values['submission-port']), 2587, '--submission-port', command);
  const server = new PolicySmtpServer({
    policy,
    host,
    tls,
    users: config.users,
    limits,
    verbose: values.verbose === true,
    listeners: [
      { name: 'smtp', port: smtpPort, presentPort: 25 },
      { name: 'submission', port: submissionPort, presentPort: 587 },
    ],
    ...(accepted ? { delivery: accepted } : {}),
    onError: (e) => log.event('smtp', 'error', e.message, {}, 'error'),
    onEvent: ({ event, message, level, ...fields }) => {
      // An accepted message is a line on stdout in the text log, as it always was.
      if (event === 'message' && log.format === 'text') io.stdout.write(`${message}\n`);
      else log.event('smtp', event, message, fields, level);
    },
  });
  let ports: Record<string, number>;
  try {
    ports = await server.start();
  } catch (e) {
    await server.stop();
    await recorder?.close();
    listenFailure(e, `${host} (ports ${smtpPort}, ${submissionPort})`);
  }
  io.stdout.write(
    `mta-expr SMTP server ${hostname}: smtp on ${host}:${ports.smtp} (local_port 25), submission on ${host}:${ports.submission} (local_port 587); STARTTLS on both${config.tls ? '' : ' (self-signed certificate)'}${recorder ? `; recording sessions to ${recorder.path}` : ''}; messages: ${server.deliveryDescription}\n`,
  );
  return {
    stop: async () => {
      await server.stop();
      await recorder?.close();
    },
    reload: (next) => server.reload({ users: next.users, ...(next.tls ? { tls: next.tls } : {}) }),
  };
}

/** Reads the configuration file again on SIGHUP; a file that fails keeps what runs, and says why. */
function reloader(values: FlagValues, log: Log, what: string, apply: (config: ServerConfig) => void): () => Promise<void> {
  const file = str(values.config);
  // Without a file there is nothing to read again; SIGHUP still never stops the server.
  if (file === undefined) return async () => log.event('config', 'reload-skipped', 'SIGHUP: no --config file to reload', {}, 'warn');
  return async () => {
    let next: ServerConfig;
    try {
      next = loadServerConfig(file);
    } catch (e) {
      log.event('config', 'reload-failed', `reload of ${file} failed, keeping the running configuration: ${(e as Error).message}`, { file }, 'error');
      return;
    }
    try {
      apply(next);
    } catch (e) {
      log.event('config', 'reload-failed', `reload of ${file} failed, keeping the running configuration: ${(e as Error).message}`, { file }, 'error');
      return;
    }
    log.event('config', 'reloaded', `reloaded ${file}: ${what}${next.tls ? ' and the TLS certificate' : ''} in force for the next sessions`, { file });
  };
}

const slowStop = (log: Log) => () => log.event('mta-expr', 'stop-timeout', `did not stop within ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting`, {}, 'error');

/** `mta-expr smtp`: on the configuration file, or with a configStore in it, on the configuration the cluster shares (read only). */
export async function smtpCommand({ values, io }: CommandArgs): Promise<number> {
  const log = serverLog(values, io, 'smtp');
  smtpLimits(values, 'smtp');
  const out = logged(io, log);
  let config = readConfig(values);
  const source: ServerObjects = await serverObjects(config, out);
  const objects = source.store === null ? () => config.objects : source.objects;
  let environment: ServerEnvironment | null = null;
  let server: RunningSmtp | null = null;
  return runUntilSignal(
    async () => {
      environment = await serverEnvironment(config, hostnameOf(values), out);
      server = await startSmtp(values, config, objects, io, 'smtp', environment, log);
    },
    async () => {
      await server?.stop();
      await environment?.close();
      await source.close();
    },
    {
      reload: reloader(values, log, source.store === null ? 'the objects, the users' : 'the users', (next) => {
        server?.reload(next);
        config = next;
      }),
      onSlowStop: slowStop(log),
    },
  );
}

const SMTP_ONLY = ['smtp-port', 'submission-port', 'host', 'verbose', 'record', ...Object.keys(DELIVERY_FLAGS)];

/** The `serve` flag of each API limit: `--max-calls-in-request` for maxCallsInRequest. */
const LIMIT_FLAGS = Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((name) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), name])) as Record<string, keyof ApiLimits>;

function limitsOf(values: FlagValues): Partial<ApiLimits> {
  const limits: Partial<ApiLimits> = {};
  for (const [flag, name] of Object.entries(LIMIT_FLAGS)) {
    const text = str(values[flag]);
    if (text === undefined) continue;
    if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new UsageError(`--${flag} must be a positive integer, not \`${text}\``, 'serve');
    limits[name] = Number(text);
  }
  return limits;
}

/** `mta-expr serve`. */
export async function serveCommand({ values, io }: CommandArgs): Promise<number> {
  const log = serverLog(values, io, 'serve');
  const out = logged(io, log);
  const data = str(values.data);
  if (!values.smtp) {
    const stray = SMTP_ONLY.filter((f) => values[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`${stray.map((f) => `--${f}`).join(', ')} go${stray.length === 1 ? 'es' : ''} with --smtp`, 'serve');
    if (values.hostname !== undefined && !values.https) throw new UsageError('--hostname goes with --smtp or --https', 'serve');
  }
  const limits = limitsOf(values);
  if (values.smtp) smtpLimits(values, 'serve');
  const { host, port: apiPort } = listenAddress(str(values.listen) ?? '127.0.0.1:8080', 8080, 'serve');
  const config = readConfig(values);
  if (!data && !config.configStore) throw new UsageError('serve needs --data DIR (where the configuration is kept), or a configStore in --config', 'serve');
  if (data && config.configStore) throw new UsageError('--data and the configStore of --config both say where the configuration is kept: give one', 'serve');
  const entries: TokenEntry[] = [...config.tokens];
  const admin = io.env.MTA_EXPR_ADMIN_TOKEN;
  if (admin) entries.push({ token: admin, permissions: PERMISSIONS, name: ADMIN_NAME });
  let tokens: TokenTable;
  try {
    tokens = new TokenTable(entries);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  if (entries.length === 0) out.stderr.write('warning: no tokens (set MTA_EXPR_ADMIN_TOKEN or list tokens in --config): every request gets 401\n');
  const live = await openLive(config.configStore ? new PostgresConfigStore(config.configStore) : new FileStore(data!), config, out);
  live.warmCompiler();
  let environment: ServerEnvironment | null = null;
  let api: ReturnType<typeof createApiServer> | null = null;
  let smtp: RunningSmtp | null = null;
  return runUntilSignal(
    async () => {
      const tls = values.https ? (config.tls ?? (await selfSignedCertificate(hostnameOf(values)))) : undefined;
      if (values.smtp) environment = await serverEnvironment(config, hostnameOf(values), out);
      const stores = environment?.stores;
      api = createApiServer({
        live,
        tokens,
        limits: { ...config.api.limits, ...limits },
        connections: config.api.connections,
        log: (line) => out.stderr.write(line),
        tls,
        web: createWebHandler(),
        ...(stores ? { stores: () => stores.status() } : {}),
      });
      try {
        api.listen(apiPort, host);
        await once(api, 'listening');
      } catch (e) {
        listenFailure(e, `${host}:${apiPort}`);
      }
      const bound = (api.address() as { port: number }).port;
      const address = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
      io.stdout.write(`mta-expr management API on ${address}/api, session at ${address}/jmap/session (configuration in ${live.health().store ?? data}${tls && !config.tls ? '; self-signed certificate' : ''})\n`);
      io.stdout.write(`mta-expr web interface on ${address}/\n`);
      smtp = environment ? await startSmtp(values, config, () => live.objects(), io, 'serve', environment, log) : null;
    },
    async () => {
      await smtp?.stop();
      if (api?.listening) await closeApiServer(api);
      await environment?.close();
      await live.close();
    },
    {
      // The objects are the data directory's: a reload puts the file's users and certificates in force (SMTP, and the API's HTTPS).
      reload: reloader(values, log, 'the users', (next) => {
        smtp?.reload(next);
        if (values.https && next.tls && api !== null && 'setSecureContext' in api) (api as unknown as { setSecureContext(o: object): void }).setSecureContext({ key: next.tls.key, cert: next.tls.cert });
      }),
      onSlowStop: slowStop(log),
    },
  );
}
