/**
 * The live configuration of a running `mta-expr serve`, as a source for hosts that apply
 * the policy elsewhere (the Haraka plugin, the Postfix policy service): at the start of a
 * session, when the configuration in hand is older than `maxAge`, every object of the
 * schema is read again through the API client (its session read first: the API URL and
 * the account), compiled here, and put in force for that session and the next ones. Each
 * object has a state of its own; the configuration is compiled again when any object's
 * record differs from the one in hand. When the server cannot be reached, or answers
 * something that does not compile, the last good configuration stays in force; an outage
 * is reported when it begins, and the recovery when it ends.
 */
import type { BlockInput } from '../../language/index.js';
import { buildObjects, type ConfigObjects } from '../config/live.js';
import { canonicalBlock, defaultBlock, sameBlock } from '../config/object.js';
import { SCHEMA, type Schema } from '../config/schema.js';
import { describeFailure, type ConfigSource, type SourceEvents } from '../config/source.js';
import { hasOwn } from '../json.js';
import { ApiClient, type ApiEndpoint } from './client.js';

export interface RemoteSourceOptions extends SourceEvents {
  schema?: Schema;
  /** Read the server again when the configuration in hand is older than this (ms, default 1000). */
  maxAge?: number;
}

export class RemoteConfigSource implements ConfigSource {
  private client: ApiClient | null = null;
  private objects: ConfigObjects | null = null;
  /** The field overrides the objects in force were compiled from (JSON), to see a change. */
  private compiled: string | null = null;
  private objectStates: Readonly<Record<string, string>> | null = null;
  private checkedAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private failure: string | null = null;
  private readonly schema: Schema;
  private readonly maxAge: number;
  readonly description: string;

  constructor(
    private readonly endpoint: ApiEndpoint,
    private readonly events: RemoteSourceOptions = {},
  ) {
    this.schema = events.schema ?? SCHEMA;
    this.maxAge = events.maxAge ?? 1000;
    this.description = `the management API at ${endpoint.url}`;
  }

  /** The state of each object of the configuration in force (null before the first success). */
  get states(): Readonly<Record<string, string>> | null {
    return this.objectStates;
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

  /** `MtaStageAuth 3, MtaStageConnect 0, …`. */
  private label(states: Readonly<Record<string, string>>): string {
    return Object.entries(states)
      .map(([name, state]) => `${name} ${state}`)
      .join(', ');
  }

  private async fetch(): Promise<void> {
    try {
      this.client ??= await ApiClient.connect(this.endpoint);
      const read = await this.client.readObjects(Object.keys(this.schema));
      const overrides: Record<string, Record<string, BlockInput>> = {};
      const states: Record<string, string> = {};
      for (const [name, { state, record }] of read) {
        states[name] = state;
        overrides[name] = this.fieldOverrides(name, record);
      }
      const key = JSON.stringify(overrides);
      if (key !== this.compiled) {
        this.objects = buildObjects(overrides, this.schema);
        this.compiled = key;
        this.events.onLoad?.(`configuration from ${this.client.apiUrl} (states ${this.label(states)})`);
      } else if (this.failure !== null) {
        this.events.onLoad?.(`${this.client.apiUrl} answers again (states ${this.label(states)})`);
      }
      this.objectStates = states;
      this.failure = null;
    } catch (e) {
      // The session is read again next time: the server may have been replaced meanwhile.
      this.client = null;
      // Said once per outage: when it begins (the reason may change while it lasts).
      const message = describeFailure(e);
      if (this.failure === null) this.events.onError?.(`${message} (${this.objectStates === null ? 'no configuration yet' : `the configuration of states ${this.label(this.objectStates)} stays in force`})`);
      this.failure = message;
    }
  }

  /** The record's blocks that differ from the schema's defaults (fields this schema does not know are left out). */
  private fieldOverrides(name: string, record: Record<string, unknown>): Record<string, BlockInput> {
    const out: Record<string, BlockInput> = {};
    for (const [field, schema] of Object.entries(this.schema[name]!.fields)) {
      if (!hasOwn(record, field) || record[field] === null) continue;
      const block = record[field] as BlockInput;
      if (!sameBlock(canonicalBlock(block), defaultBlock(schema))) out[field] = block;
    }
    return out;
  }
}
