/**
 * The plugin's own settings, `config/mta-expr.ini` in the Haraka directory:
 *
 *   [main]
 *   config = mta-expr.json            ; field overrides per object (relative to config/), or
 *   url = http://127.0.0.1:8080       ; the management API of `mta-expr serve`
 *   token = …                         ; its bearer token (default: $MTA_EXPR_TOKEN)
 *   refresh = 1000                    ; ms between two reads of the API (default 1000)
 *   hostname = mx.example.org         ; system('hostname') (default: Haraka's `me`)
 *   auth_plugin = auth/flat_file      ; the plugin that checks passwords (default: the first loaded)
 *   lookups = mta-expr-server.json    ; the stores, directory and dns of this JSON file back the
 *                                     ; lookups (relative to config/; default: those of `config`)
 *
 *   [listeners]                       ; port Haraka listens on = listener name[:port the expressions see]
 *   587 = submission
 *   2525 = smtp:25
 *
 *   [addresses]                       ; the addresses each user may send as (mustMatchSender; @domain: any of it)
 *   jane@example.org = j.doe@example.org, jane@example.net
 */
import { isAbsolute, resolve } from 'node:path';
import { apiOrigin } from '../api/client.js';
import { SettingsError } from '../json.js';
import { parseListener, type Listener } from '../smtp/listeners.js';
import type { IniFile } from './haraka.js';

export const SETTINGS_FILE = 'mta-expr.ini';

export type SourceSettings = { kind: 'file'; path: string } | { kind: 'api'; url: string; token: string; refreshMs: number };

export interface HarakaSettings {
  source: SourceSettings;
  /** The JSON file whose `stores`, `directory` and `dns` back the lookups (none: the defaults). */
  lookups: string | undefined;
  hostname: string | undefined;
  authPlugin: string | undefined;
  /** By the port Haraka listens on. */
  listeners: ReadonlyMap<number, Listener>;
  /** By lower-cased username. */
  addresses: ReadonlyMap<string, readonly string[]>;
}

/** A setting that cannot be used is a SettingsError naming the file, the section and the key. */
export { SettingsError };

const KNOWN: Record<string, readonly string[]> = {
  main: ['config', 'url', 'token', 'refresh', 'hostname', 'auth_plugin', 'lookups'],
};

function port(text: string, where: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new SettingsError(where, `\`${text}\` is not a port number (1 to 65535)`);
  return Number(text);
}

/** Reads the settings; `configDir` resolves a relative `config` path. Throws SettingsError. */
export function readSettings(ini: IniFile, env: NodeJS.ProcessEnv, configDir: string): HarakaSettings {
  const main = ini.main ?? {};
  const fault = (key: string, why: string): never => {
    throw new SettingsError(`${SETTINGS_FILE}: [main] ${key}`, why);
  };
  for (const key of Object.keys(main)) if (!KNOWN.main!.includes(key)) fault(key, `unknown setting (expected ${KNOWN.main!.join(', ')})`);
  const text = (key: string): string | undefined => {
    const v = main[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v === 'boolean' || Array.isArray(v)) fault(key, 'expected one value');
    return String(v);
  };
  const file = text('config');
  const url = text('url');
  let source: SourceSettings;
  if (file !== undefined && url !== undefined) fault('url', 'give either config (a file) or url (the management API), not both');
  if (url !== undefined) {
    if (apiOrigin(url) === null) fault('url', `\`${url}\` is not an http(s) URL`);
    const token = text('token') ?? env.MTA_EXPR_TOKEN;
    if (!token) fault('token', 'the management API needs a token (or set MTA_EXPR_TOKEN in Haraka’s environment)');
    const refresh = text('refresh') ?? '1000';
    if (!/^[0-9]+$/.test(refresh)) fault('refresh', `\`${refresh}\` is not a number of milliseconds`);
    source = { kind: 'api', url: url!, token: token!, refreshMs: Number(refresh) };
  } else if (file !== undefined) {
    source = { kind: 'file', path: isAbsolute(file) ? file : resolve(configDir, file) };
  } else {
    return fault('config', 'give config (a JSON file of field overrides) or url (the management API of mta-expr serve)');
  }

  const listeners = new Map<number, Listener>();
  for (const [key, value] of Object.entries(ini.listeners ?? {})) {
    const where = `${SETTINGS_FILE}: [listeners] ${key}`;
    const bound = port(key, where);
    const listener = parseListener(String(value), bound);
    if (listener === null) throw new SettingsError(where, `expected NAME or NAME:PORT, not \`${String(value)}\``);
    listeners.set(bound, listener);
  }

  const addresses = new Map<string, string[]>();
  for (const [user, value] of Object.entries(ini.addresses ?? {})) {
    const list = (Array.isArray(value) ? value : String(value).split(',')).map((a) => String(a).trim()).filter((a) => a !== '');
    if (list.some((a) => !/^[^\s@]*@[^\s@]+$/.test(a))) throw new SettingsError(`${SETTINGS_FILE}: [addresses] ${user}`, `expected comma-separated addresses, not \`${String(value)}\``);
    addresses.set(user.toLowerCase(), list);
  }
  const lookups = text('lookups');
  const lookupsFile = lookups !== undefined ? (isAbsolute(lookups) ? lookups : resolve(configDir, lookups)) : source.kind === 'file' ? source.path : undefined;
  return { source, lookups: lookupsFile, hostname: text('hostname'), authPlugin: text('auth_plugin'), listeners, addresses };
}
