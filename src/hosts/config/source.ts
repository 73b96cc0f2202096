/**
 * Where a host that does not run the management API itself gets its configuration: a
 * source answers, at the start of each session, the objects in force. A file source
 * reloads the file when it changes; the remote source (api/remote-config.ts) follows a
 * running `mta-expr serve`. Both keep the last good configuration when a reload fails (a
 * file that no longer parses, a server that cannot be reached) and say so once.
 */
import { stat, readFile } from 'node:fs/promises';
import type { BlockInput } from '../../language/index.js';
import { hasOwn, isObject, parseJson } from '../json.js';
import { buildObjects, type ConfigObjects } from './live.js';
import { ConfigError } from './object.js';
import { objectSchema, SCHEMA, type Schema } from './schema.js';

export interface ConfigSource {
  /** The objects for a new session, or null while no configuration could be had yet. */
  current(): Promise<ConfigObjects | null>;
  /** Where the configuration comes from, for log lines. */
  readonly description: string;
}

/** What a source reports: a reload that failed (the last good configuration stays) or succeeded. */
export interface SourceEvents {
  onError?: (message: string) => void;
  onLoad?: (message: string) => void;
}

/**
 * The field overrides of each schema object in a parsed configuration file; `extraKeys`
 * are other top-level keys the caller reads itself. Throws ConfigError naming the faulty key.
 */
export function objectOverrides(json: unknown, schema: Schema = SCHEMA, extraKeys: readonly string[] = []): Record<string, Record<string, BlockInput>> {
  if (!isObject(json)) throw new ConfigError('config', '*', 'the configuration must be a JSON object');
  for (const key of Object.keys(json)) {
    if (!extraKeys.includes(key) && objectSchema(schema, key) === undefined) {
      throw new ConfigError('config', key, `unknown configuration key (expected ${[...extraKeys, ...Object.keys(schema)].join(', ')})`);
    }
  }
  const overrides: Record<string, Record<string, BlockInput>> = {};
  for (const name of Object.keys(schema)) {
    const values = hasOwn(json, name) ? json[name] : {};
    if (!isObject(values)) throw new ConfigError(name, '*', 'must be an object of field blocks');
    overrides[name] = values as Record<string, BlockInput>;
  }
  return overrides;
}

/** A fixed configuration. */
export class StaticSource implements ConfigSource {
  constructor(
    private readonly objects: ConfigObjects,
    readonly description = 'a fixed configuration',
  ) {}

  current(): Promise<ConfigObjects> {
    return Promise.resolve(this.objects);
  }
}

/** How a ConfigError or a read failure reads in one log line. */
export function describeFailure(e: unknown): string {
  if (e instanceof ConfigError) return e.render();
  return e instanceof Error ? e.message : String(e);
}

/**
 * A JSON file of field overrides per object (`{"MtaStageAuth": {"require": {…}}, …}`),
 * read again when its size, modification time or inode changes, so an edit applies to the
 * next session. A file that is unreadable or invalid when it changes keeps the previous
 * configuration in force.
 */
export class FileConfigSource implements ConfigSource {
  private objects: ConfigObjects;
  private signature: string;
  private failedSignature: string | null = null;
  readonly description: string;

  private constructor(
    readonly path: string,
    private readonly parse: (json: unknown) => ConfigObjects,
    private readonly events: SourceEvents,
    first: { objects: ConfigObjects; signature: string },
  ) {
    this.objects = first.objects;
    this.signature = first.signature;
    this.description = `the file ${path}`;
  }

  /**
   * Reads the file once; throws ConfigError (with the position of a bad expression) when it
   * cannot be used, so a host refuses to start on a broken configuration.
   */
  static async open(path: string, options: SourceEvents & { schema?: Schema; parse?: (json: unknown) => ConfigObjects } = {}): Promise<FileConfigSource> {
    const schema = options.schema ?? SCHEMA;
    const parse = options.parse ?? ((json: unknown) => buildObjects(objectOverrides(json, schema), schema));
    const first = await FileConfigSource.load(path, parse);
    return new FileConfigSource(path, parse, options, first);
  }

  private static async load(path: string, parse: (json: unknown) => ConfigObjects): Promise<{ objects: ConfigObjects; signature: string }> {
    let signature: string;
    let text: string;
    try {
      signature = await FileConfigSource.signatureOf(path);
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new ConfigError('config', path, `cannot read: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = parseJson(text, path);
    } catch (e) {
      throw new ConfigError('config', path, (e as Error).message);
    }
    return { objects: parse(json), signature };
  }

  private static async signatureOf(path: string): Promise<string> {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  }

  async current(): Promise<ConfigObjects> {
    let signature: string;
    try {
      signature = await FileConfigSource.signatureOf(this.path);
    } catch (e) {
      this.fail(`missing:${(e as NodeJS.ErrnoException).code ?? ''}`, `cannot read ${this.path}: ${(e as Error).message}`);
      return this.objects;
    }
    if (signature === this.signature || signature === this.failedSignature) return this.objects;
    try {
      const next = await FileConfigSource.load(this.path, this.parse);
      this.objects = next.objects;
      this.signature = next.signature;
      this.failedSignature = null;
      this.events.onLoad?.(`reloaded ${this.path}`);
    } catch (e) {
      this.fail(signature, describeFailure(e));
    }
    return this.objects;
  }

  /** Reports a failure once per version of the file; the configuration in force stays. */
  private fail(signature: string, message: string): void {
    if (signature === this.failedSignature) return;
    this.failedSignature = signature;
    this.events.onError?.(`${message} (the previous configuration stays in force)`);
  }
}
