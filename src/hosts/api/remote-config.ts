/**
 * The live configuration of a running `mta-expr serve`, as a source for hosts that apply
 * the policy elsewhere (the Haraka plugin, the Postfix policy service): at the start of a
 * session, when the configuration in hand is older than `maxAge`, every object of the
 * schema is read again with one JMAP request (`x:<Object>/get` each), compiled here, and
 * put in force for that session and the next ones. When the server cannot be reached, or
 * answers something that does not compile, the last good configuration stays in force; an
 * outage is reported when it begins, and the recovery when it ends.
 */
import type { BlockInput } from '../../language/index.js';
import { hasOwn, isObject } from '../json.js';
import { buildObjects, type ConfigObjects } from '../config/live.js';
import { SCHEMA, type Schema } from '../config/schema.js';
import { describeFailure, type ConfigSource, type SourceEvents } from '../config/source.js';
import { methodResult, type JmapClient } from './client.js';
import { SINGLETON } from './methods.js';

export interface RemoteSourceOptions extends SourceEvents {
  schema?: Schema;
  /** Read the server again when the configuration in hand is older than this (ms, default 1000). */
  maxAge?: number;
}

export class RemoteConfigSource implements ConfigSource {
  private objects: ConfigObjects | null = null;
  private state: string | null = null;
  private checkedAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private failure: string | null = null;
  private readonly schema: Schema;
  private readonly maxAge: number;
  readonly description: string;

  constructor(
    private readonly client: JmapClient,
    private readonly events: RemoteSourceOptions = {},
  ) {
    this.schema = events.schema ?? SCHEMA;
    this.maxAge = events.maxAge ?? 1000;
    this.description = `the management API at ${client.url}`;
  }

  /** The state string of the configuration in force (null before the first success). */
  get currentState(): string | null {
    return this.state;
  }

  async current(): Promise<ConfigObjects | null> {
    if (performance.now() - this.checkedAt >= this.maxAge) await this.refresh();
    return this.objects;
  }

  /** Reads the server now (one request at a time); never throws. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetch().finally(() => {
      this.checkedAt = performance.now();
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<void> {
    const names = Object.keys(this.schema);
    try {
      const responses = await this.client.request(names.map((name) => [`x:${name}/get`, { ids: [SINGLETON] }]));
      const overrides: Record<string, Record<string, BlockInput>> = {};
      let state: string | null = null;
      names.forEach((name, i) => {
        const response = responses[i];
        if (response === undefined) throw new Error(`the server did not answer x:${name}/get`);
        const result = methodResult(`x:${name}/get`, response);
        const record = Array.isArray(result.list) ? (result.list[0] as unknown) : undefined;
        if (!isObject(record)) throw new Error(`the server has no ${name} record`);
        state = String(result.state);
        overrides[name] = this.fieldOverrides(name, record);
      });
      if (state !== this.state || this.objects === null) {
        this.objects = buildObjects(overrides, this.schema);
        this.state = state;
        this.events.onLoad?.(`configuration state ${String(state)} from ${this.client.url}`);
      } else if (this.failure !== null) {
        this.events.onLoad?.(`${this.client.url} answers again (state ${String(state)})`);
      }
      this.failure = null;
    } catch (e) {
      // Said once per outage: when it begins (the reason may change while it lasts).
      const message = describeFailure(e);
      if (this.failure === null) this.events.onError?.(`${message} (${this.objects === null ? 'no configuration yet' : `state ${String(this.state)} stays in force`})`);
      this.failure = message;
    }
  }

  /** The record's blocks that differ from the schema's defaults (fields this schema does not know are left out). */
  private fieldOverrides(name: string, record: Record<string, unknown>): Record<string, BlockInput> {
    const out: Record<string, BlockInput> = {};
    for (const [field, schema] of Object.entries(this.schema[name]!.fields)) {
      if (!hasOwn(record, field) || record[field] === null) continue;
      const block = record[field] as BlockInput;
      if (JSON.stringify(block) !== JSON.stringify(schema.default)) out[field] = block;
    }
    return out;
  }
}
