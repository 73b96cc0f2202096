/**
 * Where the configuration and its history are kept. The store is an interface so a shared
 * database can replace the file when several servers share one configuration: a change is
 * one `commit` that checks each changed object's state (compare-and-set), writes the
 * objects and appends their history entries in one transaction.
 *
 * The embedded default keeps `DIR/config.json` (the objects and their states, replaced
 * atomically: temporary file, fsync, rename, directory fsync) and `DIR/history.jsonl` (one
 * entry per line, appended and fsynced before config.json is replaced). Each commit has a
 * number, written in both files; history lines of a commit that config.json does not hold
 * (a crash between the two writes) are not history and are cut off at the next commit, so
 * the two files always agree. A cluster of servers shares PostgresConfigStore
 * (postgres-store.ts) instead.
 *
 * One process at a time keeps a directory: `DIR/lock` holds the process id of the store that
 * opened it (created exclusively, removed by `close`). Another store, in this process or
 * another, is refused while that process runs: the file has no change notification, so a
 * second server would keep serving what it read at start and write over the first one's
 * changes. The lock of a process that is gone (killed) is taken over, and the temporary files
 * of a write it did not finish are removed.
 */
import { mkdir, open, readdir, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BlockInput } from '../../language/index.js';
import { hasOwn, isObject } from '../json.js';

/** The state of an object that was never changed. */
export const INITIAL_STATE = '0';

export interface StoredConfig {
  /** Each object's state string: it changes with every change of that object. */
  states: Record<string, string>;
  /** Field overrides per object; fields absent keep their defaults. */
  objects: Record<string, Record<string, BlockInput>>;
}

/** One accepted change of one object. */
export interface HistoryEntry {
  /** When it was accepted (ISO 8601, UTC). */
  time: string;
  /** The name of the token that made it. */
  token: string;
  object: string;
  /** The fields that changed. */
  fields: string[];
  /** Each changed field's block before and after the change; null is the default. */
  old: Record<string, BlockInput | null>;
  new: Record<string, BlockInput | null>;
  oldState: string;
  newState: string;
}

/** A change of one or more objects, applied all together or not at all. */
export interface ConfigChange {
  /**
   * Per changed object: the state the change was computed from (the store applies the
   * change only if every object still has its expected state), its new state and its
   * field overrides after the change.
   */
  objects: Record<string, { expected: string; state: string; overrides: Record<string, BlockInput> }>;
  /** The history entries of the change, in order. */
  entries: HistoryEntry[];
}

export interface ConfigStore {
  /** The stored configuration; when nothing is stored yet, `initial` is stored first and returned. */
  open(initial: StoredConfig): Promise<StoredConfig>;
  /**
   * Applies a change and appends its history entries in one atomic step, provided every
   * changed object's stored state is still the expected one; resolves false (and writes
   * nothing) when one is not. Resolves once the change is durable.
   */
  commit(change: ConfigChange): Promise<boolean>;
  /** The accepted changes of an object, oldest first. */
  history(object: string): Promise<HistoryEntry[]>;
  /**
   * A store shared by several processes has it: tells when another process may have changed
   * the configuration; resolve the returned function to stop. LiveConfig then reads the
   * store before each change and follows what the others commit.
   */
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

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The stored states of a change's objects are the expected ones. */
function expectedStates(config: StoredConfig, change: ConfigChange): boolean {
  return Object.entries(change.objects).every(([name, c]) => (hasOwn(config.states, name) ? config.states[name] : INITIAL_STATE) === c.expected);
}

function applied(config: StoredConfig, change: ConfigChange): StoredConfig {
  const next: StoredConfig = { states: { ...config.states }, objects: { ...config.objects } };
  for (const [name, c] of Object.entries(change.objects)) {
    next.states[name] = c.state;
    next.objects[name] = copy(c.overrides);
  }
  return next;
}

interface FileConfig extends StoredConfig {
  /** The number of the last commit (0 for the initial configuration). */
  commit: number;
}

type HistoryLine = HistoryEntry & { commit: number };

/** The data directories the stores of this process hold. */
const heldDirectories = new Set<string>();

/** Whether a process runs (one of another user counts: it exists). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The directory is kept by another store. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
}

/** A temporary file of a configuration write (`.config.json.PID.N.tmp`). */
const TEMPORARY = /^\.config\.json\.[0-9]+\.[0-9]+\.tmp$/;

/** Keeps the configuration in `DIR/config.json` and its history in `DIR/history.jsonl`. */
export class FileStore implements ConfigStore {
  readonly file: string;
  readonly historyFile: string;
  readonly lockFile: string;
  private locked = false;
  private seq = 0;
  private current: FileConfig | null = null;
  /** Bytes of history.jsonl that belong to committed changes. */
  private historyBytes = 0;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'config.json');
    this.historyFile = join(dir, 'history.jsonl');
    this.lockFile = join(dir, 'lock');
  }

  describe(): string {
    return this.dir;
  }

  /**
   * Takes the directory for this store (once: open is called again to read the file anew),
   * then removes what an unfinished write of an earlier holder left.
   */
  private async lock(): Promise<void> {
    if (this.locked) return;
    const key = resolve(this.dir);
    if (heldDirectories.has(key)) throw new StoreLockedError(`${this.dir} is already open in this process: two stores on one directory would lose each other's updates`);
    await mkdir(this.dir, { recursive: true });
    const mine = JSON.stringify({ pid: process.pid, since: new Date().toISOString() }) + '\n';
    // Twice at most: a lock left by a process that is gone is removed once, then taken.
    for (let attempt = 1; ; attempt++) {
      try {
        await writeFile(this.lockFile, mine, { flag: 'wx', mode: 0o600 });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = await this.lockHolder();
      // This process's pid in a lock it does not hold is an earlier life of the pid (a restarted container).
      const alive = holder.pid !== undefined && holder.pid !== process.pid && running(holder.pid);
      if (alive || attempt === 2) {
        throw new StoreLockedError(
          `${this.dir} is in use by another mta-expr serve (process ${holder.pid ?? 'unknown'}${holder.since ? `, since ${holder.since}` : ''}): two servers on one data directory would lose each other's updates; stop that one, or share a configStore (PostgreSQL) between servers (${this.lockFile} is its lock)`,
        );
      }
      await unlink(this.lockFile).catch(() => undefined);
    }
    this.locked = true;
    heldDirectories.add(key);
    for (const name of await readdir(this.dir)) if (TEMPORARY.test(name)) await unlink(join(this.dir, name)).catch(() => undefined);
  }

  /** Who holds the lock file: its pid and since when (nothing of a torn or vanished file). */
  private async lockHolder(): Promise<{ pid?: number; since?: string }> {
    try {
      const holder = JSON.parse(await readFile(this.lockFile, 'utf8')) as unknown;
      if (!isObject(holder)) return {};
      return { ...(Number.isSafeInteger(holder.pid) ? { pid: holder.pid as number } : {}), ...(typeof holder.since === 'string' ? { since: holder.since } : {}) };
    } catch {
      return {};
    }
  }

  /** Gives the directory up (another process may then open it). */
  async close(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    heldDirectories.delete(resolve(this.dir));
    await unlink(this.lockFile).catch(() => undefined);
  }

  async open(initial: StoredConfig): Promise<StoredConfig> {
    const first = !this.locked;
    await this.lock();
    try {
      return await this.read(initial);
    } catch (e) {
      if (first) await this.close(); // nothing was opened: the directory is not kept
      throw e;
    }
  }

  private async read(initial: StoredConfig): Promise<StoredConfig> {
    let text: string | null;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      text = null;
    }
    if (text === null) {
      const fresh: FileConfig = { commit: 0, ...copy(initial) };
      await this.writeConfig(fresh);
      await unlink(this.historyFile).catch(() => undefined);
      this.current = fresh;
      this.historyBytes = 0;
    } else {
      this.current = this.parseConfig(text);
      this.historyBytes = (await this.readHistory()).bytes;
    }
    return copy({ states: this.current.states, objects: this.current.objects });
  }

  private parseConfig(text: string): FileConfig {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`${this.file} is not JSON: ${(e as Error).message}`);
    }
    if (!isObject(parsed) || !isObject(parsed.objects)) throw new Error(`${this.file} is not a configuration file`);
    const objects = parsed.objects as Record<string, Record<string, BlockInput>>;
    let states: Record<string, string>;
    if (isObject(parsed.states)) states = parsed.states as Record<string, string>;
    else if (typeof parsed.state === 'string') {
      // A file of the earlier format: one state for everything. Every object starts from it.
      const legacy = parsed.state;
      states = Object.fromEntries(Object.keys(objects).map((name) => [name, legacy]));
    } else throw new Error(`${this.file} is not a configuration file (no states)`);
    return { commit: typeof parsed.commit === 'number' ? parsed.commit : 0, states, objects };
  }

  /** The committed history lines and the length in bytes of that committed part. */
  private async readHistory(): Promise<{ lines: HistoryLine[]; bytes: number }> {
    let buffer: Buffer;
    try {
      buffer = await readFile(this.historyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], bytes: 0 };
      throw e;
    }
    const limit = this.current?.commit ?? 0;
    const lines: HistoryLine[] = [];
    let bytes = 0;
    let start = 0;
    for (let nl = buffer.indexOf(10, start); nl >= 0; start = nl + 1, nl = buffer.indexOf(10, start)) {
      let line: HistoryLine;
      try {
        line = JSON.parse(buffer.subarray(start, nl).toString('utf8')) as HistoryLine;
      } catch {
        break; // a torn line: nothing after it was committed
      }
      if (typeof line.commit !== 'number' || line.commit > limit) break;
      lines.push(line);
      bytes = nl + 1;
    }
    return { lines, bytes };
  }

  async commit(change: ConfigChange): Promise<boolean> {
    const current = this.current;
    if (current === null) throw new Error('the store is not open');
    if (!expectedStates(current, change)) return false;
    const next: FileConfig = { commit: current.commit + 1, ...applied(current, change) };
    await mkdir(this.dir, { recursive: true });
    if (change.entries.length > 0) {
      // Cut off what an interrupted commit left, then append this commit's entries.
      await truncate(this.historyFile, this.historyBytes).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      const text = change.entries.map((e) => JSON.stringify({ commit: next.commit, ...e }) + '\n').join('');
      const handle = await open(this.historyFile, 'a', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.writeConfig(next);
      this.historyBytes += Buffer.byteLength(text, 'utf8');
    } else {
      await this.writeConfig(next);
    }
    this.current = next;
    return true;
  }

  async history(object: string): Promise<HistoryEntry[]> {
    const { lines } = await this.readHistory();
    return lines.filter((l) => l.object === object).map(({ commit: _, ...entry }) => entry);
  }

  private async writeConfig(config: FileConfig): Promise<void> {
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

/** Keeps the configuration and its history in memory (tests, or a server without a data directory). */
export class MemoryStore implements ConfigStore {
  private config: StoredConfig | null = null;
  private entries: HistoryEntry[] = [];

  async open(initial: StoredConfig): Promise<StoredConfig> {
    this.config ??= copy(initial);
    return copy(this.config);
  }

  async commit(change: ConfigChange): Promise<boolean> {
    if (this.config === null) throw new Error('the store is not open');
    if (!expectedStates(this.config, change)) return false;
    this.config = applied(this.config, change);
    this.entries.push(...copy(change.entries));
    return true;
  }

  async history(object: string): Promise<HistoryEntry[]> {
    return copy(this.entries.filter((e) => e.object === object));
  }
}
