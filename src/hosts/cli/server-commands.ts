/**
 * The long-running commands: `smtp` (the SMTP server on the configuration file) and
 * `serve` (the management API on a data directory, and with `--smtp` the SMTP server on
 * the live configuration). Both run until SIGINT or SIGTERM.
 *
 * The lookups (stores, directory, DNS) come from the configuration file; `serve` keeps the
 * configuration in `--data DIR`, or, with `configStore` in the file, in the PostgreSQL
 * database a cluster shares. Each change of a store's reachability is one line on stderr.
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
import { SessionPolicy } from '../smtp/policy.js';
import { SessionRecorder } from '../smtp/record.js';
import { PolicySmtpServer } from '../smtp/server.js';
import { selfSignedCertificate } from '../smtp/tls.js';
import { createWebHandler } from '../web/server.js';
import { CommandError, UsageError, type CommandArgs, type FlagValues, type Io } from './io.js';
import { listenAddress, listenFailure, port, runUntilSignal } from './listen.js';
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
function policyLog(io: Io): ErrorHook {
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
      io.stderr.write(`policy: ${key}: ${message}${more}\n`);
      return;
    }
    io.stderr.write(`policy: ${e.object}.${e.field}: ${message}\n`);
  };
}

/** The running SMTP server, and what stops it (with the record file, if any). */
interface RunningSmtp {
  stop(): Promise<void>;
}

/** Starts the SMTP server on a configuration provider and the server's environment; resolves with the running server. */
async function startSmtp(values: FlagValues, config: ServerConfig, objects: () => ConfigObjects, io: Io, command: string, environment: ServerEnvironment): Promise<RunningSmtp> {
  const hostname = hostnameOf(values);
  const tls = config.tls ?? (await selfSignedCertificate(hostname));
  const recordFile = str(values.record);
  let recorder: SessionRecorder | undefined;
  try {
    recorder = recordFile === undefined ? undefined : await SessionRecorder.open(recordFile, (m) => io.stderr.write(`smtp: ${m}\n`));
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const policy = new SessionPolicy(objects, {
    env: environment.env,
    onError: policyLog(io),
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
    verbose: values.verbose === true,
    listeners: [
      { name: 'smtp', port: smtpPort, presentPort: 25 },
      { name: 'submission', port: submissionPort, presentPort: 587 },
    ],
    onError: (e) => io.stderr.write(`smtp: ${e.message}\n`),
    onMessage: (m) =>
      io.stdout.write(`message via ${m.listener} from <${m.from}> to ${m.to.map((t) => `<${t}>`).join(', ')}${m.user ? ` (user ${m.user})` : ''}: ${m.data.length} bytes\n`),
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
    `mta-expr SMTP server ${hostname}: smtp on ${host}:${ports.smtp} (local_port 25), submission on ${host}:${ports.submission} (local_port 587); STARTTLS on both${config.tls ? '' : ' (self-signed certificate)'}${recorder ? `; recording sessions to ${recorder.path}` : ''}\n`,
  );
  return {
    stop: async () => {
      await server.stop();
      await recorder?.close();
    },
  };
}

/** `mta-expr smtp`: on the configuration file, or with a configStore in it, on the configuration the cluster shares (read only). */
export async function smtpCommand({ values, io }: CommandArgs): Promise<number> {
  const config = readConfig(values);
  const source: ServerObjects = await serverObjects(config, io);
  let environment: ServerEnvironment | null = null;
  let server: RunningSmtp | null = null;
  return runUntilSignal(
    async () => {
      environment = await serverEnvironment(config, hostnameOf(values), io);
      server = await startSmtp(values, config, source.objects, io, 'smtp', environment);
    },
    async () => {
      await server?.stop();
      await environment?.close();
      await source.close();
    },
  );
}

const SMTP_ONLY = ['smtp-port', 'submission-port', 'host', 'verbose', 'record'];

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
  const data = str(values.data);
  if (!values.smtp) {
    const stray = SMTP_ONLY.filter((f) => values[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`${stray.map((f) => `--${f}`).join(', ')} go${stray.length === 1 ? 'es' : ''} with --smtp`, 'serve');
    if (values.hostname !== undefined && !values.https) throw new UsageError('--hostname goes with --smtp or --https', 'serve');
  }
  const limits = limitsOf(values);
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
  if (entries.length === 0) io.stderr.write('warning: no tokens (set MTA_EXPR_ADMIN_TOKEN or list tokens in --config): every request gets 401\n');
  const live = await openLive(config.configStore ? new PostgresConfigStore(config.configStore) : new FileStore(data!), config, io);
  live.warmCompiler();
  let environment: ServerEnvironment | null = null;
  let api: ReturnType<typeof createApiServer> | null = null;
  let smtp: RunningSmtp | null = null;
  return runUntilSignal(
    async () => {
      const tls = values.https ? (config.tls ?? (await selfSignedCertificate(hostnameOf(values)))) : undefined;
      if (values.smtp) environment = await serverEnvironment(config, hostnameOf(values), io);
      const stores = environment?.stores;
      api = createApiServer({
        live,
        tokens,
        limits: { ...config.api.limits, ...limits },
        connections: config.api.connections,
        log: (line) => io.stderr.write(line),
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
      smtp = environment ? await startSmtp(values, config, () => live.objects(), io, 'serve', environment) : null;
    },
    async () => {
      await smtp?.stop();
      if (api?.listening) await closeApiServer(api);
      await environment?.close();
      await live.close();
    },
  );
}
