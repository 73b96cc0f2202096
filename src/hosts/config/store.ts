/**
 * Where the configuration is kept. The store is an interface so a shared database can
 * replace the file when several servers share one configuration; the embedded default is
 * a JSON file in a data directory, written atomically (temporary file, fsync, rename), so a
 * crash mid-write leaves the previous file whole.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockInput } from '../../language/index.js';

export interface StoredConfig {
  /** Changes with every change (a counter). */
  state: string;
  /** Field overrides per object; fields absent keep their defaults. */
  objects: Record<string, Record<string, BlockInput>>;
}

export interface ConfigStore {
  /** The stored configuration, or null when nothing is stored yet. */
  load(): Promise<StoredConfig | null>;
  /** Replaces the stored configuration; resolves once it is durable. */
  save(config: StoredConfig): Promise<void>;
  /**
   * A store shared by several processes: stores `config` only if the stored state is still
   * `expected` (null: only if nothing is stored yet), in one atomic step; false when another
   * writer came first. With it, updates compare and set in the store rather than in one
   * process's memory.
   */
  replace?(expected: string | null, config: StoredConfig): Promise<boolean>;
  /** A shared store: tells when another process may have changed the configuration; resolves the returned function to stop. */
  watch?(watcher: StoreWatch): () => Promise<void>;
  /** Where the configuration is, for logs and the health endpoint. */
  describe?(): string;
  close?(): Promise<void>;
}

export interface StoreWatch {
  /** The configuration may have changed (also after each reconnection, to catch up). */
  onChange(): void;
  /** The store was lost (with the error) or reached again. */
  onStatus(ok: boolean, error?: Error): void;
}

/** Keeps the configuration in `DIR/config.json`. */
export class FileStore implements ConfigStore {
  readonly file: string;
  private seq = 0;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'config.json');
  }

  describe(): string {
    return this.dir;
  }

  async load(): Promise<StoredConfig | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const parsed = JSON.parse(text) as StoredConfig;
    if (typeof parsed?.state !== 'string' || parsed.objects === null || typeof parsed.objects !== 'object') {
      throw new Error(`${this.file} is not a configuration file`);
    }
    return parsed;
  }

  async save(config: StoredConfig): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.config.json.${process.pid}.${++this.seq}.tmp`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(config, null, 2) + '\n', 'utf8');
      await handle.sync();
    } catch (e) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw e;
    }
    await handle.close();
    await rename(temp, this.file);
    // Make the rename itself durable.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** Keeps the configuration in memory (tests, or a server without a data directory). */
export class MemoryStore implements ConfigStore {
  private config: StoredConfig | null = null;
  async load(): Promise<StoredConfig | null> {
    return this.config && (JSON.parse(JSON.stringify(this.config)) as StoredConfig);
  }
  async save(config: StoredConfig): Promise<void> {
    this.config = JSON.parse(JSON.stringify(config)) as StoredConfig;
  }
}
