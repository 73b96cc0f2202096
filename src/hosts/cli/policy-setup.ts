/**
 * What `simulate`, `test` and `replay` evaluate with: a configuration (a server
 * configuration file or a snapshot file, the live configuration of `mta-expr serve`, the
 * configuration a cluster shares in the configStore a file names, or the defaults), the
 * users AUTH is checked against, and the server's environment (`system('hostname')`, the
 * lookups: in-memory data from a file, or the backends of the server configuration file, as
 * `smtp` and `serve` open them). Objects and environment are built by the servers' own
 * code (server-config.ts), so the tools evaluate as the servers do.
 */
import { RemoteConfigSource } from '../api/remote-config.js';
import type { ConfigObjects } from '../config/live.js';
import { describeFailure } from '../config/source.js';
import { isObject, parseJson, str } from '../json.js';
import { MemoryLookups, type MemoryLookupsInit } from '../lookups/memory.js';
import type { SmtpUser } from '../smtp/server.js';
import type { Environment } from '../../language/index.js';
import { endpointOf } from './client/connect.js';
import { CommandError, readText, UsageError, type FlagValues, type Io } from './io.js';
import { loadServerConfig, serverConfig, serverEnvironment, serverObjects, type ServerConfig, type ServerEnvironment, type ServerLog } from './server-config.js';

export interface PolicySetup {
  objects: ConfigObjects;
  users: SmtpUser[];
  env: Environment;
  /** The configuration file's TLS key and certificate, if it has them. */
  tls?: { key: string; cert: string };
  /** Where the configuration comes from, for messages. */
  description: string;
  /** Closes what was opened for it (the lookups' stores, a shared configuration store). */
  close(): Promise<void>;
}

/** The flags that name a configuration instead of the defaults. */
export const CONFIG_FLAGS = ['config', 'url'] as const;

/** Reads a server configuration file; a failure is a CommandError of one line. */
function serverFile(file: string): ServerConfig {
  readText(file); // a missing file says so plainly
  return loadServerConfig(file);
}

/** The in-memory lookups of a JSON file (`domains`, `addresses`, `stores`, `dns`). */
export function memoryLookups(json: unknown, what: string): MemoryLookups {
  if (!isObject(json)) throw new CommandError(`${what}: lookup data is a JSON object with domains, addresses, stores and dns`);
  for (const key of Object.keys(json)) {
    if (!['domains', 'addresses', 'stores', 'dns'].includes(key)) throw new CommandError(`${what}: unknown key ${JSON.stringify(key)} (expected domains, addresses, stores, dns)`);
  }
  const lists = ['domains', 'addresses'].filter((k) => json[k] !== undefined && !(Array.isArray(json[k]) && (json[k] as unknown[]).every((x) => typeof x === 'string')));
  if (lists.length > 0) throw new CommandError(`${what}: ${lists.join(' and ')} must be lists of strings`);
  for (const k of ['stores', 'dns']) if (json[k] !== undefined && !isObject(json[k])) throw new CommandError(`${what}: ${k} must be an object`);
  return new MemoryLookups(json as MemoryLookupsInit);
}

/** The live configuration of `serve` (`--url`, `--token`, `--insecure`), read once. */
async function remoteObjects(values: FlagValues, io: Io, command: string): Promise<{ objects: ConfigObjects; description: string }> {
  let failure = 'no answer';
  const remote = new RemoteConfigSource({ ...endpointOf(values, io, command), timeoutMs: 10_000 }, { onError: (m) => (failure = m) });
  const objects = await remote.current();
  if (objects === null) throw new CommandError(`cannot read the configuration of ${remote.description}: ${failure.replace(/ \(no configuration yet\)$/, '')}`);
  return { objects, description: `${remote.description} (states ${Object.entries(remote.states ?? {}).map(([o, s]) => `${o} ${s}`).join(', ')})` };
}

/** The in-memory lookups of `--lookups FILE`, or undefined. */
function lookupsFile(values: FlagValues): MemoryLookups | undefined {
  const file = str(values.lookups);
  if (file === undefined) return undefined;
  let json: unknown;
  try {
    json = parseJson(readText(file), file);
  } catch (e) {
    throw new CommandError(describeFailure(e));
  }
  return memoryLookups(json, file);
}

/**
 * The setup the flags name: `--config FILE` or `--url URL` (else `fallbackConfig`, a file
 * named elsewhere, else the configStore of `--backends FILE`, else the defaults),
 * `--backends FILE` (the users and the lookup backends of the file `serve` runs with),
 * `--lookups FILE` (in-memory lookups instead), `--hostname`. The tools' lines about the
 * stores go to stderr: their stdout is their report. Call `close()` when done.
 */
export async function policySetup(values: FlagValues, io: Io, command: string, fallbackConfig?: string): Promise<PolicySetup> {
  const file = str(values.config);
  const url = str(values.url);
  if (file !== undefined && url !== undefined) throw new UsageError('give --config FILE or --url URL, not both', command);
  if (url === undefined && (values.token !== undefined || values.insecure !== undefined)) throw new UsageError('--token and --insecure go with --url', command);
  const log: ServerLog = { stdout: io.stderr, stderr: io.stderr };
  const memory = lookupsFile(values);
  const configFile = file ?? (url === undefined ? fallbackConfig : undefined);
  const named = configFile === undefined ? undefined : serverFile(configFile);
  const backendsFile = str(values.backends);
  const backends = backendsFile === undefined ? undefined : serverFile(backendsFile);
  const defaults = serverConfig({});
  // The file whose lookups (and users) the tools use: --backends, else the configuration file.
  const server: ServerConfig = backends ?? named ?? defaults;
  let objects: ConfigObjects;
  let description: string;
  let closeObjects = async (): Promise<void> => undefined;
  if (url !== undefined) {
    ({ objects, description } = await remoteObjects(values, io, command));
  } else {
    // A file's own objects, or the configuration shared in the configStore it names, as smtp runs on it.
    const from = named ?? (backends?.configStore !== undefined ? backends : undefined);
    const source = await serverObjects(from ?? defaults, log);
    objects = source.objects();
    closeObjects = source.close;
    const fileName = named !== undefined ? configFile! : from !== undefined ? backendsFile! : undefined;
    description = fileName === undefined ? 'the defaults' : source.store === null ? fileName : `${source.store} (the configStore of ${fileName})`;
  }
  let environment: ServerEnvironment;
  try {
    environment = await serverEnvironment(server, str(values.hostname) ?? 'localhost', log, memory);
  } catch (e) {
    await closeObjects();
    throw e;
  }
  const { env } = environment;
  return {
    objects,
    users: backends?.users ?? named?.users ?? [],
    env,
    ...(named?.tls ? { tls: named.tls } : {}),
    description,
    close: async () => {
      await environment.close();
      await closeObjects();
    },
  };
}
