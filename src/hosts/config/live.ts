/**
 * The live configuration: the compiled objects in force, their state string, and the only
 * way to change them. Updates are serialised (none is lost), validated completely before
 * anything is stored (nothing is half-applied), stored durably, and only then put in force,
 * so a running session policy picks them up for the next session.
 *
 * On a store shared by a cluster (one with `replace`), an update compares and sets the state
 * in the store itself, and is applied again on the latest configuration when another node
 * wrote first; `follow()` reloads what other nodes store. When the store is lost, the last
 * good configuration stays in force and `health()` says since when the store is unreachable.
 */
import type { BlockInput } from '../../language/index.js';
import { hasOwn } from '../json.js';
import { ConfigError, ConfigObject } from './object.js';
import { fieldSchema, objectSchema, SCHEMA, type Schema } from './schema.js';
import type { ConfigStore, StoredConfig } from './store.js';

/** The compiled configuration objects in force, by name. */
export type ConfigObjects = Readonly<Record<string, ConfigObject>>;

export type UpdateResult =
  | { ok: true; oldState: string; newState: string }
  | { ok: false; stateMismatch: true; state: string }
  | { ok: false; stateMismatch: false; properties: string[]; description: string; error?: ConfigError };

/** The configuration store as seen by this process. */
export interface StoreHealth {
  ok: boolean;
  /** Since when the store is reachable or not (ISO 8601). */
  since: string;
  error?: string;
  /** Where the configuration is. */
  store?: string;
}

export interface FollowOptions {
  /** Receives each change: the store lost (with the error) or found again, a stored configuration that does not compile. */
  onEvent?: (event: { kind: 'lost' | 'found' | 'reloaded' | 'invalid'; state: string; error?: Error }) => void;
  /** Besides the store's notifications, the state is read this often (ms; default 5000). */
  pollInterval?: number;
}

/** Attempts of one update against other nodes' concurrent writes. */
const MAX_ATTEMPTS = 50;

interface Snapshot {
  state: string;
  overrides: Record<string, Record<string, BlockInput>>;
  objects: Record<string, ConfigObject>;
}

/** Every object of the schema, compiled with its overrides. Throws ConfigError. */
export function buildObjects(overrides: Readonly<Record<string, Readonly<Record<string, BlockInput>>>>, schema: Schema = SCHEMA): ConfigObjects {
  for (const name of Object.keys(overrides)) if (objectSchema(schema, name) === undefined) throw new ConfigError(name, '*', 'unknown object');
  return Object.fromEntries(Object.keys(schema).map((name) => [name, new ConfigObject(name, hasOwn(overrides, name) ? overrides[name] : {}, schema)]));
}

export class LiveConfig {
  private snapshot: Snapshot;
  private queue: Promise<unknown> = Promise.resolve();
  private storeHealth: StoreHealth = { ok: true, since: new Date().toISOString() };
  private stopFollowing: (() => Promise<void>) | undefined;
  private reloadPending = false;

  private constructor(
    private readonly store: ConfigStore,
    snapshot: Snapshot,
    /** The objects this configuration holds. */
    readonly schema: Schema,
  ) {
    this.snapshot = snapshot;
  }

  /**
   * Opens the stored configuration; when nothing is stored yet, `initial` (e.g. from the
   * server's configuration file) seeds it. Throws ConfigError when the stored data is invalid.
   */
  static async open(store: ConfigStore, initial: Record<string, Record<string, BlockInput>> = {}, schema: Schema = SCHEMA): Promise<LiveConfig> {
    let stored: StoredConfig | null = await store.load();
    if (stored === null && store.replace !== undefined) {
      // A shared store: the first node to start seeds it, and every node serves what is stored.
      await store.replace(null, { state: '0', objects: initial });
      stored = await store.load();
    }
    const overrides = stored?.objects ?? initial;
    return new LiveConfig(store, { state: stored?.state ?? '0', overrides, objects: buildObjects(overrides, schema) }, schema);
  }

  get state(): string {
    return this.snapshot.state;
  }

  object(name: string): ConfigObject {
    const o = hasOwn(this.snapshot.objects, name) ? this.snapshot.objects[name] : undefined;
    if (o === undefined) throw new ConfigError(name, '*', 'unknown object');
    return o;
  }

  /** Every object in force now (a session policy asks once per session). */
  objects(): ConfigObjects {
    return this.snapshot.objects;
  }

  /**
   * Applies a patch to one object: a block sets a field, null restores its default.
   * Serialised with every other update.
   */
  update(name: string, patch: Record<string, BlockInput | null>, ifInState?: string): Promise<UpdateResult> {
    const run = this.queue.then(() => this.apply(name, patch, ifInState));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(name: string, patch: Record<string, BlockInput | null>, ifInState?: string): Promise<UpdateResult> {
    if (this.store.replace === undefined) {
      return (await this.applyOn(this.snapshot, name, patch, ifInState, (config) => this.store.save(config).then(() => true)))!;
    }
    for (let attempt = 1; ; attempt++) {
      // Compare with what the store holds now, not with what this process saw last.
      const current = await this.loadLatest();
      const replace = this.store.replace.bind(this.store);
      const result = await this.applyOn(current, name, patch, ifInState, (config) => replace(current.state, config));
      if (result !== null) return result;
      if (attempt >= MAX_ATTEMPTS) throw new Error(`the configuration changed ${MAX_ATTEMPTS} times during this update: try again`);
    }
  }

  /** The stored configuration, compiled (the snapshot again when its state is unchanged). Throws when the store fails or holds an invalid configuration. */
  private async loadLatest(): Promise<Snapshot> {
    let stored: StoredConfig | null;
    try {
      stored = await this.store.load();
    } catch (e) {
      this.setHealth(false, e);
      throw e;
    }
    // A followed store is healthy only while its change notifications arrive too (follow() says so).
    if (this.stopFollowing === undefined) this.setHealth(true);
    if (stored === null || stored.state === this.snapshot.state) return this.snapshot;
    return { state: stored.state, overrides: stored.objects, objects: buildObjects(stored.objects, this.schema) as Record<string, ConfigObject> };
  }

  /** One attempt of an update on a snapshot: the result, or null when the store was changed by another writer meanwhile. */
  private async applyOn(
    current: Snapshot,
    name: string,
    patch: Record<string, BlockInput | null>,
    ifInState: string | undefined,
    write: (config: StoredConfig) => Promise<boolean>,
  ): Promise<UpdateResult | null> {
    if (ifInState !== undefined && ifInState !== current.state) return { ok: false, stateMismatch: true, state: current.state };
    const schema = objectSchema(this.schema, name);
    if (schema === undefined) return { ok: false, stateMismatch: false, properties: [], description: `unknown object ${name}` };
    const unknown = Object.keys(patch).filter((f) => fieldSchema(schema, f) === undefined);
    if (unknown.length > 0) {
      return { ok: false, stateMismatch: false, properties: unknown, description: `unknown propert${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}` };
    }
    const merged: Record<string, BlockInput> = { ...(current.overrides[name] ?? {}) };
    for (const [field, block] of Object.entries(patch)) {
      if (block === null) delete merged[field];
      else merged[field] = block;
    }
    let object: ConfigObject;
    try {
      object = new ConfigObject(name, merged, this.schema);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const detail = typeof e.cause === 'string' ? e.cause : `${e.cause.message}\n${e.cause.snippet}`;
      return { ok: false, stateMismatch: false, properties: [e.field], description: `${e.field}: ${detail}`, error: e };
    }
    const overrides = { ...current.overrides, [name]: merged };
    const state = String(Number(current.state) + 1);
    if (!(await write({ state, objects: overrides }))) return null;
    this.snapshot = { state, overrides, objects: { ...current.objects, [name]: object } };
    return { ok: true, oldState: current.state, newState: state };
  }

  /** The configuration store as this process sees it. */
  health(): StoreHealth {
    const store = this.store.describe?.();
    return { ...this.storeHealth, ...(store === undefined ? {} : { store }) };
  }

  private setHealth(ok: boolean, error?: unknown): void {
    const message = error === undefined ? undefined : error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
    if (this.storeHealth.ok === ok && this.storeHealth.error === message) return;
    const changed = this.storeHealth.ok !== ok;
    this.storeHealth = { ok, since: changed ? new Date().toISOString() : this.storeHealth.since, ...(message === undefined ? {} : { error: message }) };
  }

  /**
   * Follows a shared store: whatever another node stores is compiled and put in force, so the
   * next session uses it. While the store cannot be reached the last good configuration
   * stays in force. Does nothing for a store that is not shared.
   */
  follow(options: FollowOptions = {}): void {
    if (this.stopFollowing !== undefined || this.store.watch === undefined) return;
    const onEvent = options.onEvent ?? (() => undefined);
    // What was last reported: an update that fails on a lost store changes the health too, and the event is still told once.
    let reported = this.storeHealth.ok;
    // Whether the store's change notifications reach this process: only then is it following.
    let listening = false;
    const report = (ok: boolean, error?: unknown): void => {
      this.setHealth(ok, error);
      if (ok === reported) return;
      reported = ok;
      onEvent({ kind: ok ? 'found' : 'lost', state: this.state, ...(ok ? {} : { error: error instanceof Error ? error : new Error(String(error)) }) });
    };
    const reload = (): void => {
      if (this.reloadPending) return;
      this.reloadPending = true;
      const run = this.queue.then(async () => {
        this.reloadPending = false;
        let latest: Snapshot;
        try {
          latest = await this.loadLatest();
        } catch (e) {
          if (e instanceof ConfigError) onEvent({ kind: 'invalid', state: this.state, error: e });
          else report(false, e);
          return;
        }
        if (listening) report(true);
        if (latest !== this.snapshot) {
          this.snapshot = latest;
          onEvent({ kind: 'reloaded', state: latest.state });
        }
      });
      this.queue = run.catch(() => undefined);
    };
    const stopWatch = this.store.watch({
      onChange: reload,
      onStatus: (ok, error) => {
        listening = ok;
        if (ok) reload();
        else report(false, error);
      },
    });
    const poll = setInterval(reload, options.pollInterval ?? 5000);
    poll.unref();
    this.stopFollowing = async () => {
      clearInterval(poll);
      await stopWatch();
    };
  }

  /** Stops following the store and closes it. */
  async close(): Promise<void> {
    await this.stopFollowing?.();
    this.stopFollowing = undefined;
    await this.queue;
    await this.store.close?.();
  }
}
