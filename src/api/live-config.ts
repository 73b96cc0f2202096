/**
 * The live configuration: the compiled objects in force, their state string, and the only
 * way to change them. Updates are serialised (none is lost), validated completely before
 * anything is stored (nothing is half-applied), stored durably, and only then put in force,
 * so a running session policy picks them up for the next session.
 */
import type { BlockInput } from '../block.js';
import { ConfigError, ConfigObject } from '../config/object.js';
import type { PolicyConfig } from '../config/policy.js';
import { SCHEMA } from '../config/schema.js';
import type { ConfigStore, StoredConfig } from './store.js';

export type UpdateResult =
  | { ok: true; oldState: string; newState: string }
  | { ok: false; stateMismatch: true; state: string }
  | { ok: false; stateMismatch: false; properties: string[]; description: string; error?: ConfigError };

interface Snapshot {
  state: string;
  overrides: Record<string, Record<string, BlockInput>>;
  objects: Record<string, ConfigObject>;
}

function build(overrides: Record<string, Record<string, BlockInput>>): Record<string, ConfigObject> {
  return Object.fromEntries(Object.keys(SCHEMA).map((name) => [name, new ConfigObject(name, overrides[name] ?? {})]));
}

export class LiveConfig {
  private snapshot: Snapshot;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: ConfigStore,
    snapshot: Snapshot,
  ) {
    this.snapshot = snapshot;
  }

  /**
   * Opens the stored configuration; when nothing is stored yet, `initial` (e.g. from the
   * server's configuration file) seeds it. Throws ConfigError when the stored data is invalid.
   */
  static async open(store: ConfigStore, initial: Record<string, Record<string, BlockInput>> = {}): Promise<LiveConfig> {
    const stored: StoredConfig | null = await store.load();
    const overrides = stored?.objects ?? initial;
    return new LiveConfig(store, { state: stored?.state ?? '0', overrides, objects: build(overrides) });
  }

  get state(): string {
    return this.snapshot.state;
  }

  object(name: string): ConfigObject {
    const o = this.snapshot.objects[name];
    if (o === undefined) throw new ConfigError(name, '*', 'unknown object');
    return o;
  }

  /** The objects the session policy reads (the ones in force when it asks). */
  policyConfig(): PolicyConfig {
    const { objects } = this.snapshot;
    return { MtaStageAuth: objects.MtaStageAuth!, MtaStageConnect: objects.MtaStageConnect! };
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
    const current = this.snapshot;
    if (ifInState !== undefined && ifInState !== current.state) return { ok: false, stateMismatch: true, state: current.state };
    const schema = SCHEMA[name]!;
    const unknown = Object.keys(patch).filter((f) => !Object.prototype.hasOwnProperty.call(schema.fields, f));
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
      object = new ConfigObject(name, merged);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const detail = typeof e.cause === 'string' ? e.cause : `${e.cause.message}\n${e.cause.snippet}`;
      return { ok: false, stateMismatch: false, properties: [e.field], description: `${e.field}: ${detail}`, error: e };
    }
    const overrides = { ...current.overrides, [name]: merged };
    const state = String(Number(current.state) + 1);
    await this.store.save({ state, objects: overrides });
    this.snapshot = { state, overrides, objects: { ...current.objects, [name]: object } };
    return { ok: true, oldState: current.state, newState: state };
  }
}
