/**
 * `mta-expr policyd`: the Postfix policy service on a configuration file (reloaded when it
 * changes) or on the live configuration of `mta-expr serve` (--url, --token). Runs until
 * SIGINT or SIGTERM; log lines go to stderr. The lookups are the `stores`, `directory` and
 * `dns` of `--lookups FILE`, or else of the `--config` file (read at start).
 */
import { RemoteConfigSource } from '../api/remote-config.js';
import { buildObjects } from '../config/live.js';
import { SCHEMA } from '../config/schema.js';
import { describeFailure, FileConfigSource, objectOverrides, type ConfigSource } from '../config/source.js';
import { str } from '../json.js';
import { loadLookupSettings, openLookups } from '../lookups/stores.js';
import { parseSenderLogins } from '../postfix/sender-logins.js';
import { PostfixPolicyService } from '../postfix/service.js';
import { parseListener, type Listener } from '../smtp/listeners.js';
import { endpointOf } from './client/connect.js';
import { CommandError, readText, UsageError, type CommandArgs, type FlagValues, type Io } from './io.js';
import { listenAddress, listenFailure, port, runUntilSignal } from './listen.js';
import { SERVER_KEYS } from './server-config.js';

function listeners(values: FlagValues): Map<number, Listener> {
  const out = new Map<number, Listener>();
  for (const entry of (values.listener as string[] | undefined) ?? []) {
    const eq = entry.indexOf('=');
    const bound = port(eq > 0 ? entry.slice(0, eq) : undefined, -1, '--listener PORT', 'policyd');
    const listener = eq > 0 && bound > 0 ? parseListener(entry.slice(eq + 1), bound) : null;
    if (listener === null) throw new UsageError(`--listener must be PORT=NAME or PORT=NAME:PORT (e.g. 2587=submission:587), not \`${entry}\``, 'policyd');
    out.set(bound, listener);
  }
  return out;
}

/** The flags of the remote source. */
const URL_ONLY = ['token', 'insecure', 'refresh'];

async function source(values: FlagValues, io: Io): Promise<ConfigSource> {
  const file = str(values.config);
  const url = str(values.url) ?? io.env.MTA_EXPR_URL;
  const log = { onError: (m: string) => io.stderr.write(`policyd: configuration: ${m}\n`), onLoad: (m: string) => io.stderr.write(`policyd: ${m}\n`) };
  if (file !== undefined && str(values.url) !== undefined) throw new UsageError('give --config FILE or --url URL, not both', 'policyd');
  if (file !== undefined) {
    const stray = URL_ONLY.filter((f) => values[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`${stray.map((f) => `--${f}`).join(', ')} go${stray.length === 1 ? 'es' : ''} with --url`, 'policyd');
    // The server configuration file of `mta-expr smtp` is accepted as it is: its users, tls and tokens are not the policy's.
    return FileConfigSource.open(file, { ...log, parse: (json) => buildObjects(objectOverrides(json, SCHEMA, SERVER_KEYS)) });
  }
  if (url === undefined) throw new UsageError('policyd needs --config FILE or --url URL (the management API of mta-expr serve)', 'policyd');
  const refresh = str(values.refresh) ?? '1000';
  if (!/^[0-9]+$/.test(refresh)) throw new UsageError(`--refresh must be a number of milliseconds, not \`${refresh}\``, 'policyd');
  const remote = new RemoteConfigSource({ ...endpointOf({ ...values, url }, io, 'policyd'), timeoutMs: 2000 }, { ...log, maxAge: Number(refresh) });
  await remote.refresh();
  return remote;
}

/** `mta-expr policyd`. */
export async function policydCommand({ values, io }: CommandArgs): Promise<number> {
  const { host, port: bindPort } = listenAddress(str(values.listen) ?? '127.0.0.1:10040', 10040, 'policyd');
  const table = listeners(values);
  let senderLogins: Map<string, string[]> | undefined;
  const loginsFile = str(values['sender-logins']);
  if (loginsFile !== undefined) {
    const text = readText(loginsFile);
    try {
      senderLogins = parseSenderLogins(text, loginsFile);
    } catch (e) {
      throw new CommandError(describeFailure(e));
    }
  }
  const config = await source(values, io);
  const lookupsFile = str(values.lookups) ?? str(values.config);
  let lookups;
  try {
    lookups = await openLookups(lookupsFile === undefined ? undefined : loadLookupSettings(lookupsFile), (line) => io.stderr.write(`policyd: lookups: ${line}\n`));
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const hostname = str(values.hostname) ?? 'localhost';
  const domain = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : hostname;
  const service = new PostfixPolicyService({
    source: config,
    host,
    port: bindPort,
    env: { system: { hostname, domain }, lookups },
    listeners: table,
    senderLogins,
    verbose: values.verbose === true,
    log: (line) => io.stderr.write(`policyd: ${line}\n`),
  });
  return runUntilSignal(
    async () => {
      let bound;
      try {
        bound = await service.start();
      } catch (e) {
        listenFailure(e, `${host}:${bindPort}`);
      }
      io.stdout.write(`mta-expr policy service on ${host.includes(':') ? `[${host}]` : host}:${bound.port} (configuration from ${config.description}); in Postfix: check_policy_service inet:${host}:${bound.port}\n`);
    },
    async () => {
      await service.stop();
      await lookups.close();
    },
  );
}
