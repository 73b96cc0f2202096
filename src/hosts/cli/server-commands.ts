/**
 * The long-running commands: `smtp` (the SMTP server on the configuration file) and
 * `serve` (the management API on a data directory, and with `--smtp` the SMTP server on
 * the live configuration). Both run until SIGINT or SIGTERM.
 */
import { once } from 'node:events';
import { closeApiServer, createApiServer } from '../api/http.js';
import { DEFAULT_LIMITS, type ApiLimits } from '../api/session.js';
import { ADMIN_NAME, PERMISSIONS, TokenTable, type TokenEntry } from '../api/tokens.js';
import { LiveConfig, type ConfigObjects } from '../config/live.js';
import { FileStore } from '../config/store.js';
import { str } from '../json.js';
import { SessionPolicy } from '../smtp/policy.js';
import { SessionRecorder } from '../smtp/record.js';
import { PolicySmtpServer } from '../smtp/server.js';
import { selfSignedCertificate } from '../smtp/tls.js';
import { CommandError, UsageError, type CommandArgs, type FlagValues, type Io } from './io.js';
import { listenAddress, listenFailure, port, untilSignal } from './listen.js';
import { loadServerConfig, serverConfig, serverEnvironment, type ServerConfig } from './server-config.js';

function readConfig(values: FlagValues): ServerConfig {
  const file = str(values.config);
  return file ? loadServerConfig(file) : serverConfig({});
}

/** The running SMTP server, and what stops it (with the record file, if any). */
interface RunningSmtp {
  stop(): Promise<void>;
}

/** Starts the SMTP server on a configuration provider; resolves with the running server. */
async function startSmtp(values: FlagValues, config: ServerConfig, objects: () => ConfigObjects, io: Io, command: string): Promise<RunningSmtp> {
  const hostname = str(values.hostname) ?? 'localhost';
  const tls = config.tls ?? (await selfSignedCertificate(hostname));
  const recordFile = str(values.record);
  let recorder: SessionRecorder | undefined;
  try {
    recorder = recordFile === undefined ? undefined : await SessionRecorder.open(recordFile, (m) => io.stderr.write(`smtp: ${m}\n`));
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const policy = new SessionPolicy(objects, {
    env: serverEnvironment(config, hostname),
    onError: (e) => io.stderr.write(`policy: ${e.object}.${e.field}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}\n`),
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

/** `mta-expr smtp`. */
export async function smtpCommand({ values, io }: CommandArgs): Promise<number> {
  const config = readConfig(values);
  const server = await startSmtp(values, config, () => config.objects, io, 'smtp');
  await untilSignal();
  await server.stop();
  return 0;
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
  if (!data) throw new UsageError('serve needs --data DIR (where the configuration is kept)', 'serve');
  if (!values.smtp) {
    const stray = SMTP_ONLY.filter((f) => values[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`${stray.map((f) => `--${f}`).join(', ')} go${stray.length === 1 ? 'es' : ''} with --smtp`, 'serve');
    if (values.hostname !== undefined && !values.https) throw new UsageError('--hostname goes with --smtp or --https', 'serve');
  }
  const limits = limitsOf(values);
  const { host, port: apiPort } = listenAddress(str(values.listen) ?? '127.0.0.1:8080', 8080, 'serve');
  const config = readConfig(values);
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
  let live: LiveConfig;
  try {
    live = await LiveConfig.open(new FileStore(data), config.overrides);
  } catch (e) {
    throw new CommandError(`cannot open the configuration in ${data}: ${(e as Error).message}`);
  }
  const tls = values.https ? (config.tls ?? (await selfSignedCertificate(str(values.hostname) ?? 'localhost'))) : undefined;
  const api = createApiServer({ live, tokens, limits, tls });
  try {
    api.listen(apiPort, host);
    await once(api, 'listening');
  } catch (e) {
    listenFailure(e, `${host}:${apiPort}`);
  }
  const bound = (api.address() as { port: number }).port;
  const address = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  io.stdout.write(`mta-expr management API on ${address}/api, session at ${address}/jmap/session (configuration in ${data}${tls && !config.tls ? '; self-signed certificate' : ''})\n`);
  let smtp: RunningSmtp | null = null;
  try {
    smtp = values.smtp ? await startSmtp(values, config, () => live.objects(), io, 'serve') : null;
  } catch (e) {
    api.close();
    throw e;
  }
  await untilSignal();
  await smtp?.stop();
  await closeApiServer(api);
  return 0;
}
