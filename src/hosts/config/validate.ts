/**
 * Validating a change of an object off the event loop. Compiling and linting the largest
 * blocks the language's limits accept takes a few hundred milliseconds per field, and a
 * `/set` may hold every field of an object in each of its calls: done on the main thread,
 * it would hold every other request (and the SMTP sessions of `serve --smtp`) that long. A
 * worker thread (validate-worker.ts) compiles and lints the object as the change would leave
 * it; the main thread keeps the blocks it accepted and compiles each when it is first
 * evaluated.
 *
 * Where the worker's file is not there (the sources run by a test runner) or the schema
 * cannot be sent to a thread, the same validation runs on the calling thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { diagnosticJson, renderFix, type BlockInput } from '../../language/index.js';
import { lintPatch } from './lint.js';
import { ConfigError, ConfigObject } from './object.js';
import type { Schema } from './schema.js';

/** What validating an object's overrides found: refused (with the fields and the positioned error), or accepted with the lint warnings of the given fields. */
export type Verdict =
  | { ok: true; warnings: Record<string, Array<Record<string, unknown>>> }
  | { ok: false; properties: string[]; description: string };

/** How a refused field reads in a SetError: the field, the error and its caret (and its fix). */
export function refusalText(e: ConfigError): string {
  const detail = typeof e.cause === 'string' ? e.cause : `${e.cause.message}\n${e.cause.snippet}${e.cause.hint ? `\n${renderFix(e.cause.line, e.cause.hint)}` : ''}`;
  return `${e.field}: ${detail}`;
}

/** Compiles an object with these overrides and lints `fields` (those a patch set): what the worker runs. */
export function validateObject(name: string, overrides: Readonly<Record<string, BlockInput>>, fields: readonly string[], schema: Schema): Verdict {
  let object: ConfigObject;
  try {
    object = new ConfigObject(name, overrides, schema);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { ok: false, properties: [e.field], description: refusalText(e) };
  }
  const patch = Object.fromEntries(fields.map((f) => [f, Object.hasOwn(overrides, f) ? overrides[f]! : null]));
  const found = lintPatch(object, patch);
  return { ok: true, warnings: Object.fromEntries(Object.entries(found).map(([field, list]) => [field, list.map(diagnosticJson)])) };
}

/** The worker's file: beside this module (the compiled modules), or beside the chunk's directory (the bundled CLI). */
function workerFile(): URL | null {
  for (const relative of ['./validate-worker.js', '../validate-worker.js']) {
    const url = new URL(relative, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

interface Pending {
  resolve(v: Verdict): void;
  reject(e: Error): void;
}

/** Validations in a worker thread, one at a time in the order asked; the worker is started at the first and does not keep the process alive. */
export class Validator {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private readonly file: URL | null;
  private inline: boolean;

  constructor(
    private readonly schema: Schema,
    options: { inline?: boolean } = {},
  ) {
    this.file = options.inline ? null : workerFile();
    this.inline = this.file === null;
  }

  /** Whether validations run on the calling thread. */
  get onCallingThread(): boolean {
    return this.inline;
  }

  validate(name: string, overrides: Readonly<Record<string, BlockInput>>, fields: readonly string[]): Promise<Verdict> {
    if (!this.inline) {
      const worker = this.start();
      if (worker !== null) {
        const id = this.next++;
        return new Promise<Verdict>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, name, overrides, fields });
        });
      }
    }
    return Promise.resolve(validateObject(name, overrides, fields, this.schema));
  }

  /** Starts the worker now rather than at the first validation (a server does, at start). */
  warm(): void {
    if (!this.inline) this.start();
  }

  private start(): Worker | null {
    if (this.worker !== null) return this.worker;
    let worker: Worker;
    try {
      // Its own heap, bounded: a compile that ran out of memory would end the worker (a serverFail), not the server.
      worker = new Worker(this.file!, { workerData: { schema: this.schema }, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    } catch {
      this.inline = true; // a schema that cannot be sent to a thread
      return null;
    }
    worker.unref();
    worker.on('message', (m: { id: number; verdict?: Verdict; error?: string }) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.verdict !== undefined) p.resolve(m.verdict);
      else p.reject(new Error(`the compile worker failed: ${m.error ?? 'no answer'}`));
    });
    const fail = (e: Error): void => {
      this.worker = null;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the compile worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }
}
