/**
 * The parts of Haraka's plugin API the plugin uses (Haraka is a dev dependency only: these
 * are the shapes its objects have, from its connection.js, plugins.js and
 * plugins/auth/auth_base.js), its hook return codes, and a reply carrying its own code.
 */

/** Haraka's hook return codes (haraka-constants). */
export const HOOK = {
  CONT: 900,
  DENY: 902,
  DENYSOFT: 903,
  DENYDISCONNECT: 904,
  OK: 906,
  DENYSOFTDISCONNECT: 909,
} as const;

/**
 * A reply with its own code: Haraka's `respond()` takes the code and text of an object
 * whose constructor is named DSN (the shape of haraka-dsn), so a hook can answer 503 or
 * 501 where Haraka would say 550.
 */
export class DSN {
  constructor(
    readonly code: number,
    readonly reply: string,
  ) {}
}

export type Next = (code?: number, message?: string | DSN) => void;

export interface Logger {
  logdebug(...args: unknown[]): void;
  loginfo(...args: unknown[]): void;
  lognotice(...args: unknown[]): void;
  logwarn(...args: unknown[]): void;
  logerror(...args: unknown[]): void;
  logcrit(...args: unknown[]): void;
}

/** What haraka-config's `get` answers for an .ini file: sections of keys. */
export type IniFile = Record<string, Record<string, string | number | boolean | string[]> | undefined>;

export interface HarakaConfig {
  get(name: string, type: string, reload?: () => void): unknown;
  get(name: string, options: { booleans?: string[] }, reload?: () => void): unknown;
}

export interface HarakaPlugin extends Logger {
  name: string;
  config: HarakaConfig;
  /** The hook timeout in seconds (Haraka answers DENYSOFT when a hook takes longer). */
  timeout: number;
  register_hook(hook: string, method: string, priority?: number): void;
}

/** A plugin that checks passwords: every plugin that inherits Haraka's auth/auth_base. */
export interface HarakaAuthPlugin {
  name: string;
  check_plain_passwd(connection: HarakaConnection, user: string, password: string, cb: (valid: boolean) => void): void;
  /** auth_base keeps the password in `connection.notes.auth_passwd` unless this is set. */
  blankout_password?: boolean;
}

/** Haraka's address object (address-rfc2821). */
export interface HarakaAddress {
  address(): string | null;
}

export interface HarakaConnection extends Logger {
  uuid: string;
  remote: { ip: string; port: number };
  local: { ip: string; port: number; host: string };
  hello: { host: string | null; verb: string | null };
  tls: { enabled: boolean };
  notes: Record<string, unknown>;
  relaying: boolean;
  capabilities: string[] | null;
  authheader?: string;
  results: { add(plugin: { name: string }, result: Record<string, unknown>): void };
  respond(code: number, message: string | string[], after?: () => void): void;
  auth_results(message: string): void;
}
