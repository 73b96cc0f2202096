/**
 * The live configuration: the compiled objects in force, their state string, and the only
 * way to change them. Updates are serialised (none is lost), validated completely before
 * anything is stored (nothing is half-applied), stored durably, and only then put in force,
 * so a running session policy picks them up for the next session.
 */
import { renderFix, type BlockInput } from '../../language/index.js';
import { hasOwn } from '../json.js';
import { ConfigError, ConfigObject } from './object.js';
import { fieldSchema, objectSchema, SCHEMA, type Schema } from './schema.js';
import type { ConfigStore, StoredConfig } from './store.js';

/** The compiled configuration objects in force, by name. */
export type ConfigObjects = Readonly<Record<string, ConfigObject>>;

export type UpdateResult =
  | { ok: true; oldState: string; newState: string; /** The object as the update left it. */ object: ConfigObject }
  | { ok: false; stateMismatch: true; state: string }
  | { ok: false; stateMismatch: false; properties: string[]; description: string; error?: ConfigError };

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
    const stored: StoredConfig | null = await store.load();
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
    const current = this.snapshot;
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
      const detail = typeof e.cause === 'string' ? e.cause : `${e.cause.message}\n${e.cause.snippet}${e.cause.hint ? `\n${renderFix(e.cause.line, e.cause.hint)}` : ''}`;
      return { ok: false, stateMismatch: false, properties: [e.field], description: `${e.field}: ${detail}`, error: e };
    }
    const overrides = { ...current.overrides, [name]: merged };
    const state = String(Number(current.state) + 1);
    await this.store.save({ state, objects: overrides });
    this.snapshot = { state, overrides, objects: { ...current.objects, [name]: object } };
    return { ok: true, oldState: current.state, newState: state, object };
  }
}
