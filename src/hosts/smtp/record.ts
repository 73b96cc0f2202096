/**
 * Recorded sessions (`mta-expr smtp --record FILE`): one JSON line per stage a session
 * evaluated, with the variables its fields saw — what `mta-expr replay` evaluates again
 * under another configuration. Only the stages' variables are written: never a message,
 * a password or a token (no stage sees them).
 *
 *   {"session":"6f1c…","time":"2026-12-02T10:00:00.000Z","stage":"ehlo","vars":{"listener":"submission",…}}
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { PolicySession, StageEvent, StageName } from './policy.js';
import { STAGES } from './policy.js';

/** One line of a record file. */
export interface RecordedStep {
  /** The session's id (random), the same on every line of one session. */
  session: string;
  time: string;
  stage: StageName;
  vars: Record<string, unknown>;
}

/** Appends each stage of every session to a file; a write that fails is reported once and recording stops (the server goes on). */
export class SessionRecorder {
  private readonly out: WriteStream;
  private readonly ids = new WeakMap<PolicySession, string>();
  private failed = false;

  private constructor(
    readonly path: string,
    out: WriteStream,
    private readonly onError: (message: string) => void,
  ) {
    this.out = out;
    out.on('error', (e) => this.fail(e));
  }

  /** Opens the file for appending; rejects when it cannot be opened. */
  static open(path: string, onError: (message: string) => void): Promise<SessionRecorder> {
    return new Promise((resolve, reject) => {
      const out = createWriteStream(path, { flags: 'a' });
      out.once('open', () => resolve(new SessionRecorder(path, out, onError)));
      out.once('error', (e) => reject(new Error(`cannot record to ${path}: ${e.message}`)));
    });
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(`cannot record to ${this.path}: ${e.message} (recording stops)`);
  }

  /** The session policy's `onStage` hook. */
  readonly record = (event: StageEvent): void => {
    if (this.failed) return;
    let id = this.ids.get(event.session);
    if (id === undefined) {
      id = randomBytes(8).toString('hex');
      this.ids.set(event.session, id);
    }
    const step: RecordedStep = { session: id, time: new Date().toISOString(), stage: event.stage, vars: { ...event.vars } };
    this.out.write(JSON.stringify(step) + '\n');
  };

  /** Writes what is pending and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

/** A record line read back, or why it is not one. */
export function parseRecordedStep(line: string): RecordedStep | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'not a JSON object';
  const o = json as Record<string, unknown>;
  if (typeof o.session !== 'string' || o.session === '') return 'no "session"';
  if (typeof o.stage !== 'string' || !Object.prototype.hasOwnProperty.call(STAGES, o.stage)) return `"stage" must be one of ${Object.keys(STAGES).join(', ')}`;
  if (o.vars === null || typeof o.vars !== 'object' || Array.isArray(o.vars)) return '"vars" must be an object';
  return { session: o.session, time: typeof o.time === 'string' ? o.time : '', stage: o.stage as StageName, vars: o.vars as Record<string, unknown> };
}
