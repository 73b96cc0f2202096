/**
 * The Haraka plugin: MtaStageConnect and MtaStageAuth applied to every Haraka connection,
 * with the semantics of mta-expr's own SMTP server.
 *
 * - connect_init: the connect stage (greeting, hostname) for the connection's variables;
 *   connect (last of all plugins) answers the 220 line with the evaluated greeting.
 * - helo/ehlo: the EHLO stage (mechanisms, require, maxFailures, waitOnFail), again after
 *   STARTTLS; capabilities (after the auth plugins) replaces their AUTH line by the
 *   mechanisms `saslMechanisms` offers among those they announced.
 * - unrecognized_command (before the auth plugins): the AUTH exchange (PLAIN, LOGIN), the
 *   password checked by Haraka's own auth plugin (`check_plain_passwd` of auth_base), the
 *   wait after each failure and the disconnect after `maxFailures`.
 * - mail (first of all plugins): `require` (503) and `mustMatchSender` (501).
 *
 * The configuration comes from a file or from `mta-expr serve` (settings.ts), read at the
 * start of each connection; the lookups (stores, directory, DNS) are those of the `lookups`
 * or `config` file, opened when the settings are read. A stage whose expressions fail answers a temporary failure
 * (421 at connect, 451 later) and never throws into Haraka.
 */
import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import { RemoteConfigSource } from '../api/remote-config.js';
import type { ConfigObjects } from '../config/live.js';
import { describeFailure, FileConfigSource, objectOverrides, type ConfigSource } from '../config/source.js';
import { buildObjects } from '../config/live.js';
import { SCHEMA } from '../config/schema.js';
import { loadLookupSettings, LOOKUP_KEYS, openLookups, type StoreLookups } from '../lookups/stores.js';
import { DEFAULT_AUTH_LIMITS, senderMatches, SessionPolicy, type ConnectAnswers, type EhloAnswers, type PolicySession } from '../smtp/policy.js';
import { defaultListener } from '../smtp/listeners.js';
import { REPLIES, replyText, type Reply } from '../smtp/replies.js';
import { DSN, HOOK, type HarakaAddress, type HarakaAuthPlugin, type HarakaConnection, type HarakaPlugin, type IniFile, type Next } from './haraka.js';
import { readSettings, SETTINGS_FILE, type HarakaSettings } from './settings.js';

/** The mechanisms whose exchange the plugin carries out (the password goes to the auth plugin). */
const SASL = ['PLAIN', 'LOGIN'];

interface SaslState {
  mechanism: 'PLAIN' | 'LOGIN';
  username?: string;
}

interface ConnectionState {
  session: PolicySession | null;
  /** Why the policy cannot be applied to this connection (no configuration, a failed stage). */
  unavailable: string | null;
  connect?: ConnectAnswers;
  ehlo?: EhloAnswers;
  /** The mechanisms advertised in the last EHLO answer. */
  offered: string[];
  failures: number;
  user?: string;
  sasl?: SaslState;
}

/** What the plugin runs on: its settings, the configuration source and the session policy. */
interface Runtime {
  settings: HarakaSettings;
  source: ConfigSource;
  lookups: StoreLookups;
  policy: SessionPolicy;
  /** The objects a session is opened on (set just before `policy.session()`). */
  objects: ConfigObjects | null;
}

const reply = (r: Reply): DSN => new DSN(r.code, replyText(r));

/** The plugin's state in this Haraka process. */
export class MtaExprPlugin {
  private runtime: Runtime | null = null;
  private startFailure: string | null = null;
  private readonly connections = new WeakMap<HarakaConnection, ConnectionState>();
  /** Resolves when the settings have been read once (successfully or not). */
  ready: Promise<void>;

  constructor(private readonly plugin: HarakaPlugin) {
    this.ready = this.load();
  }

  /** The directory of Haraka's configuration files. */
  private static configDir(): string {
    return resolve(process.env.HARAKA ?? '.', 'config');
  }

  /** Reads the settings and opens the source; on failure the previous runtime stays in force. */
  private async load(): Promise<void> {
    try {
      const ini = this.plugin.config.get(SETTINGS_FILE, { booleans: [] }, () => {
        this.ready = this.load();
      }) as IniFile;
      const settings = readSettings(ini, process.env, MtaExprPlugin.configDir());
      const events = {
        onError: (m: string) => this.plugin.logerror(`configuration: ${m}`),
        onLoad: (m: string) => this.plugin.loginfo(m),
      };
      const source: ConfigSource =
        settings.source.kind === 'file'
          ? // The file may also hold the lookups' stores, directory and dns.
            await FileConfigSource.open(settings.source.path, { ...events, parse: (json) => buildObjects(objectOverrides(json, SCHEMA, LOOKUP_KEYS)) })
          : new RemoteConfigSource({ url: settings.source.url, token: settings.source.token, timeoutMs: 2000 }, { ...events, maxAge: settings.source.refreshMs });
      const lookups = await openLookups(settings.lookups === undefined ? undefined : loadLookupSettings(settings.lookups), (line) => this.plugin.logwarn(`lookups: ${line}`));
      const hostname = settings.hostname ?? this.haraka_me() ?? osHostname();
      const domain = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : hostname;
      const runtime: Runtime = {
        settings,
        source,
        lookups,
        objects: null,
        policy: new SessionPolicy(() => runtime.objects!, {
          env: { system: { hostname, domain }, lookups },
          strict: true,
          onError: (e) => this.plugin.logerror(`policy: ${e.object}.${e.field}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}`),
        }),
      };
      const previous = this.runtime;
      this.runtime = runtime;
      this.startFailure = null;
      // Sessions already opened keep their answers; the replaced stores are closed.
      void previous?.lookups.close();
      this.plugin.loginfo(`policy from ${source.description}`);
    } catch (e) {
      this.startFailure = describeFailure(e);
      this.plugin.logcrit(`${this.runtime ? 'keeping the previous settings: ' : 'every connection gets a temporary failure until this is fixed: '}${this.startFailure}`);
    }
  }

  /** Haraka's own hostname (config/me), if it has one. */
  private haraka_me(): string | undefined {
    const me = this.plugin.config.get('me', 'value');
    return typeof me === 'string' && me.trim() !== '' ? me.trim() : undefined;
  }

  private state(connection: HarakaConnection): ConnectionState {
    let s = this.connections.get(connection);
    if (s === undefined) {
      s = { session: null, unavailable: 'the connection was not opened by the plugin', offered: [], failures: 0 };
      this.connections.set(connection, s);
    }
    return s;
  }

  /** Runs a hook body; anything it throws is logged and answered as a temporary failure. */
  private guard(next: Next, connection: HarakaConnection, body: () => Promise<void>, onFailure: number = HOOK.DENYSOFT): void {
    body().catch((e: unknown) => {
      connection.logerror(this.plugin, `policy failure: ${describeFailure(e)}`);
      next(onFailure, reply(REPLIES.policyUnavailable));
    });
  }

  // ---------------------------------------------------------------- connect

  connectInit(next: Next, connection: HarakaConnection): void {
    this.guard(
      next,
      connection,
      async () => {
        await this.ready;
        const state: ConnectionState = { session: null, unavailable: null, offered: [], failures: 0 };
        this.connections.set(connection, state);
        const runtime = this.runtime;
        if (runtime === null) {
          state.unavailable = `no usable settings: ${this.startFailure ?? 'not read yet'}`;
          return next();
        }
        const objects = await runtime.source.current();
        if (objects === null) {
          state.unavailable = `no configuration from ${runtime.source.description} yet`;
          return next();
        }
        const listener = runtime.settings.listeners.get(connection.local.port) ?? defaultListener(connection.local.port);
        runtime.objects = objects;
        state.session = runtime.policy.session({
          listener: listener.name,
          remote_ip: connection.remote.ip,
          remote_port: connection.remote.port,
          local_ip: connection.local.ip,
          local_port: listener.port,
          is_tls: connection.tls.enabled,
        });
        try {
          state.connect = await state.session.connect();
          connection.local.host = state.connect.hostname;
        } catch (e) {
          state.unavailable = describeFailure(e);
        }
        next();
      },
      HOOK.CONT,
    );
  }

  /** Registered last: the 220 line is the evaluated greeting. */
  connect(next: Next, connection: HarakaConnection): void {
    const state = this.state(connection);
    if (state.unavailable !== null || state.connect === undefined) {
      connection.logerror(this.plugin, `temporary failure: ${state.unavailable ?? 'no connect stage'}`);
      return next(HOOK.DENYSOFTDISCONNECT, replyText(REPLIES.policyUnavailable));
    }
    next(HOOK.OK, state.connect.greeting);
  }

  // ---------------------------------------------------------------- EHLO

  hello(next: Next, connection: HarakaConnection, host: string): void {
    this.guard(next, connection, async () => {
      const state = this.state(connection);
      if (state.session === null) return next(HOOK.DENYSOFTDISCONNECT, reply(REPLIES.policyUnavailable));
      state.ehlo = await state.session.ehlo(host ?? '', connection.tls.enabled);
      next();
    });
  }

  /** Registered after the auth plugins: AUTH is what saslMechanisms offers of what they announced. */
  capabilities(next: Next, connection: HarakaConnection): void {
    const state = this.state(connection);
    const lines = connection.capabilities ?? [];
    const announced = new Set<string>();
    const kept = lines.filter((line) => {
      const m = /^AUTH[ =](.*)$/i.exec(line);
      if (m) for (const mech of m[1]!.trim().split(/\s+/)) announced.add(mech.toUpperCase());
      return !m;
    });
    const allowed = connection.notes.allowed_auth_methods;
    if (Array.isArray(allowed)) for (const mech of allowed) announced.add(String(mech).toUpperCase());
    state.offered = (state.ehlo?.mechanisms ?? []).filter((m) => SASL.includes(m) && announced.has(m));
    if (state.offered.length > 0) kept.push(`AUTH ${state.offered.join(' ')}`);
    connection.capabilities = kept;
    connection.notes.allowed_auth_methods = [...state.offered];
    next();
  }

  // ---------------------------------------------------------------- AUTH

  /** Registered before the auth plugins: AUTH and the lines of its exchange. */
  command(next: Next, connection: HarakaConnection, params: string[]): void {
    const state = this.state(connection);
    const [verb = '', rest = ''] = params;
    if (state.sasl !== undefined) {
      const sasl = state.sasl;
      state.sasl = undefined;
      return this.guard(next, connection, () => this.saslLine(next, connection, state, sasl, verb));
    }
    if (verb.toUpperCase() !== 'AUTH') return next();
    const answer = (r: Reply): void => connection.respond(r.code, replyText(r), () => next(HOOK.OK));
    if (state.session === null) return answer(REPLIES.policyUnavailable);
    if (state.user !== undefined) return answer(REPLIES.alreadyAuthenticated);
    if (state.offered.length === 0) return answer(REPLIES.authNotAllowed);
    const [mechanism = '', initial, ...extra] = rest.trim().split(/\s+/);
    const mech = mechanism.toUpperCase();
    if (!state.offered.includes(mech)) return answer(REPLIES.mechanismRefused);
    if (extra.length > 0) return this.guard(next, connection, () => this.failed(next, connection, state, REPLIES.invalidChallenge));
    const sasl: SaslState = { mechanism: mech as SaslState['mechanism'] };
    if (initial === undefined || initial === '=') {
      // PLAIN's empty challenge; LOGIN asks for the username (base64 "Username:").
      state.sasl = sasl;
      return connection.respond(334, mech === 'PLAIN' ? ' ' : 'VXNlcm5hbWU6', () => next(HOOK.OK));
    }
    this.guard(next, connection, () => this.saslLine(next, connection, state, sasl, initial));
  }

  /** One client line of the exchange: a PLAIN response, or LOGIN's username or password. */
  private async saslLine(next: Next, connection: HarakaConnection, state: ConnectionState, sasl: SaslState, line: string): Promise<void> {
    const decoded = decodeBase64(line);
    if (decoded === null) return this.failed(next, connection, state, REPLIES.invalidChallenge);
    if (sasl.mechanism === 'LOGIN' && sasl.username === undefined) {
      state.sasl = { mechanism: 'LOGIN', username: decoded };
      return connection.respond(334, 'UGFzc3dvcmQ6', () => next(HOOK.OK));
    }
    let username: string;
    let password: string;
    if (sasl.mechanism === 'LOGIN') {
      username = sasl.username!;
      password = decoded;
    } else {
      const parts = decoded.split('\0');
      // authzid NUL authcid NUL passwd; acting for another identity is not supported.
      if (parts.length !== 3 || parts[1] === '' || (parts[0] !== '' && parts[0] !== parts[1])) return this.failed(next, connection, state, REPLIES.invalidChallenge);
      username = parts[1]!;
      password = parts[2]!;
    }
    const auth = this.authPlugin();
    if (auth === null) {
      connection.logerror(this.plugin, 'no auth plugin (one inheriting auth/auth_base, such as auth/flat_file) is loaded to check the password');
      return connection.respond(REPLIES.authUnavailable.code, replyText(REPLIES.authUnavailable), () => next(HOOK.OK));
    }
    const valid = await new Promise<boolean>((resolve, reject) => {
      try {
        auth.check_plain_passwd(connection, username, password, (ok) => resolve(ok === true));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    if (!valid) {
      connection.results.add({ name: 'auth' }, { fail: `${auth.name}/${sasl.mechanism}` });
      connection.auth_results(`auth=fail (${sasl.mechanism.toLowerCase()}) smtp.auth=${username}`);
      return this.failed(next, connection, state, REPLIES.authFailed);
    }
    // What auth_base does on success, so the plugins after this one see an authenticated session.
    state.user = username;
    connection.relaying = true;
    connection.results.add({ name: 'relay' }, { pass: this.plugin.name });
    connection.results.add({ name: 'auth' }, { pass: auth.name, method: sasl.mechanism, user: username });
    connection.notes.auth_user = username;
    if (!auth.blankout_password) connection.notes.auth_passwd = password;
    connection.respond(REPLIES.authSucceeded.code, replyText(REPLIES.authSucceeded), () => {
      connection.authheader = '(authenticated bits=0)\n';
      connection.auth_results(`auth=pass (${sasl.mechanism.toLowerCase()})`);
      next(HOOK.OK);
    });
  }

  /** A failed AUTH: after maxFailures the session is closed, otherwise the answer waits waitOnFail. */
  private async failed(next: Next, connection: HarakaConnection, state: ConnectionState, r: Reply): Promise<void> {
    state.failures++;
    connection.notes.auth_fails = state.failures;
    const limits = state.ehlo ?? DEFAULT_AUTH_LIMITS;
    if (state.failures >= limits.maxFailures) {
      connection.lognotice(this.plugin, `${state.failures} failed AUTH: disconnecting`);
      return next(HOOK.DENYSOFTDISCONNECT, replyText(REPLIES.tooManyFailures));
    }
    // Haraka answers DENYSOFT for a hook that outlives its timeout: the wait stays below it.
    const wait = Math.min(limits.waitOnFail, Math.max(0, (this.plugin.timeout - 1) * 1000));
    await new Promise((resolve) => setTimeout(resolve, wait));
    connection.respond(r.code, replyText(r), () => next(HOOK.OK));
  }

  /** The plugin that checks passwords: `auth_plugin`, or the first loaded one that can. */
  private authPlugin(): HarakaAuthPlugin | null {
    const registered = loadedPlugins();
    const wanted = this.runtime?.settings.authPlugin;
    const candidates = wanted !== undefined ? [registered[wanted]] : Object.values(registered);
    const found = candidates.find((p): p is HarakaAuthPlugin => p !== this.plugin && typeof (p as Partial<HarakaAuthPlugin> | undefined)?.check_plain_passwd === 'function');
    return found ?? null;
  }

  // ---------------------------------------------------------------- MAIL FROM

  /** Registered first: require and mustMatchSender. */
  mail(next: Next, connection: HarakaConnection, params: [HarakaAddress, Record<string, unknown>]): void {
    this.guard(next, connection, async () => {
      const state = this.state(connection);
      if (state.session === null || state.ehlo === undefined) return next(HOOK.DENYSOFT, reply(REPLIES.policyUnavailable));
      if (state.user === undefined) return state.ehlo.authRequired ? next(HOOK.DENY, reply(REPLIES.authRequired)) : next();
      const sender = params[0]?.address() ?? '';
      const { mustMatchSender } = await state.session.mail(sender, state.user, connection.tls.enabled);
      const addresses = this.runtime?.settings.addresses.get(state.user.toLowerCase()) ?? [];
      if (mustMatchSender && !senderMatches(sender, state.user, addresses)) return next(HOOK.DENY, reply(REPLIES.senderMismatch));
      next();
    });
  }
}

/** Haraka's loaded plugins by name: Haraka sets the global `server`, whose `plugins` is its plugins.js. */
function loadedPlugins(): Record<string, unknown> {
  const server = (globalThis as { server?: { plugins?: { registered_plugins?: Record<string, unknown> } } }).server;
  return server?.plugins?.registered_plugins ?? {};
}

/** Decodes strict base64 (RFC 4648), or null. */
function decodeBase64(text: string): string | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64').toString('utf8');
}
