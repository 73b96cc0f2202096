/**
 * A Redis store for `key_get`, `key_exists`, `key_set`, `counter_incr` and `counter_get`,
 * and for directories kept in a Redis set (ioredis, the maintained Redis client).
 *
 * A counter is incremented and given its expiry in one Lua script, so a rate-limit window
 * starts at the first increment and no crash between two commands leaves a counter that
 * never expires. Commands are never queued while the connection is down: they fail at once
 * (and the session answers with a temporary failure) while the client reconnects in the
 * background; every command has a timeout.
 */
import { Redis, ReplyError } from 'ioredis';
import { Settings, SettingsError } from '../json.js';
import { withDeadline } from './deadline.js';
import { StatusTracker, type BackendStatus, type StatusListener } from './status.js';

export interface RedisSettings {
  /** `redis://[user:password@]host:port/db` or `rediss://…` for TLS. */
  url: string;
  /** Prepended to every key (several logical stores can share one database). */
  prefix?: string;
  /** The longest a command takes (ms; default 1000). */
  timeout?: number;
  /** The longest a connection attempt takes (ms; default 2000). */
  connectTimeout?: number;
  /** Counters expire this long after their first increment (ms; 0: never; default 0). */
  counterExpiry?: number;
  /** Values written by `key_set` expire after this long (ms; 0: never; default 0). */
  keyExpiry?: number;
}

export const REDIS_SETTINGS = ['type', 'url', 'prefix', 'timeout', 'connectTimeout', 'counterExpiry', 'keyExpiry'] as const;

export function redisSettings(s: Settings): RedisSettings {
  const url = s.requiredString('url');
  if (!/^rediss?:\/\//.test(url)) throw new SettingsError(s.at('url'), 'must be a redis:// or rediss:// URL');
  return {
    url,
    prefix: s.raw('prefix') === '' ? '' : s.string('prefix', ''),
    timeout: s.duration('timeout', 1000),
    connectTimeout: s.duration('connectTimeout', 2000),
    counterExpiry: s.duration('counterExpiry', 0, true),
    keyExpiry: s.duration('keyExpiry', 0, true),
  };
}

/** INCRBY (or INCRBYFLOAT) and, when the counter has no expiry yet, PEXPIRE: atomically. */
const COUNTER_INCR = `
local v
if ARGV[3] == '1' then v = redis.call('INCRBY', KEYS[1], ARGV[1]) else v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1]) end
local ttl = tonumber(ARGV[2])
if ttl > 0 and redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return tostring(v)
`;

type CounterClient = Redis & { mtaCounterIncr(key: string, delta: string, ttl: string, integer: string): Promise<string> };

/** A value as Redis keeps it: strings as they are, numbers in their shortest form, anything else as JSON. */
function redisValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

export class RedisStore {
  readonly type = 'redis';
  private readonly client: CounterClient;
  private readonly prefix: string;
  private readonly counterExpiry: number;
  private readonly keyExpiry: number;
  private readonly tracker: StatusTracker;

  constructor(
    readonly name: string,
    settings: RedisSettings,
    onStatus?: StatusListener,
  ) {
    this.prefix = settings.prefix ?? '';
    this.counterExpiry = settings.counterExpiry ?? 0;
    this.keyExpiry = settings.keyExpiry ?? 0;
    this.tracker = new StatusTracker(name, this.type, onStatus);
    this.client = new Redis(settings.url, {
      commandTimeout: settings.timeout ?? 1000,
      connectTimeout: settings.connectTimeout ?? 2000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Reconnect for ever, at most every two seconds.
      retryStrategy: (times) => Math.min(100 * times, 2000),
      lazyConnect: false,
      connectionName: 'mta-expr',
      // ioredis waits this long for a socket to close at disconnect, even one already closed.
      disconnectTimeout: 200,
    }) as CounterClient;
    this.client.defineCommand('mtaCounterIncr', { numberOfKeys: 1, lua: COUNTER_INCR });
    this.client.on('ready', () => this.tracker.up());
    this.client.on('error', (e: Error) => this.tracker.down(e));
    // A closed connection is news only when it was up (a refused reconnection already said why).
    this.client.on('close', () => {
      if (this.tracker.status().ok) this.tracker.down(new Error('connection lost'));
    });
  }

  /** Resolves when connected, or after `ms`: the store is then reported unreachable (and keeps reconnecting). */
  async ready(ms: number): Promise<void> {
    if (this.client.status === 'ready') return;
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      timer.unref();
      const onReady = (): void => done(true);
      // A refused connection is an answer: no use waiting for the rest of `ms`.
      const onError = (): void => done(false);
      this.client.once('ready', onReady);
      this.client.once('error', onError);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onError);
        resolve(ok);
      };
    });
    if (!connected && this.tracker.status().ok) this.tracker.down(new Error(`not connected after ${ms} ms`));
  }

  status(): BackendStatus {
    return this.tracker.status();
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /** A command; any failure but an error reply of the server (the connection lost, a timeout) marks the store unreachable. */
  private async run<T>(command: (client: CounterClient) => Promise<T>): Promise<T> {
    try {
      return await command(this.client);
    } catch (e) {
      if (!(e instanceof (ReplyError as new () => Error))) this.tracker.down(e);
      throw e;
    }
  }

  get(key: string): Promise<string | null> {
    return this.run((c) => c.get(this.key(key)));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.run((c) => c.exists(this.key(key)))) > 0;
  }

  async set(key: string, value: unknown): Promise<boolean> {
    const k = this.key(key);
    const v = redisValue(value);
    await this.run((c) => (this.keyExpiry > 0 ? c.set(k, v, 'PX', this.keyExpiry) : c.set(k, v)));
    return true;
  }

  async incr(key: string, delta: number): Promise<number> {
    const integer = Number.isInteger(delta);
    return Number(await this.run((c) => c.mtaCounterIncr(this.key(key), integer ? delta.toFixed(0) : String(delta), String(this.counterExpiry), integer ? '1' : '0')));
  }

  async counter(key: string): Promise<number> {
    const v = await this.run((c) => c.get(this.key(key)));
    const n = v === null ? 0 : Number(v);
    return Number.isFinite(n) ? n : 0;
  }

  /** Whether a set holds a member (directories kept in Redis). */
  async isMember(set: string, member: string): Promise<boolean> {
    return (await this.run((c) => c.sismember(this.key(set), member))) === 1;
  }

  async close(): Promise<void> {
    this.tracker.closing();
    // Not connected: nothing to say goodbye to (QUIT would wait for a reconnection).
    if (this.client.status !== 'ready') return this.client.disconnect();
    try {
      await withDeadline(this.client.quit(), 1000, () => new Error('QUIT unanswered'));
    } catch {
      this.client.disconnect();
    }
  }
}
