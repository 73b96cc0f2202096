/**
 * Runs the cases of a test file: a case with variables evaluates each field it names with
 * them (`ConfigObject.explain`, as the session policy evaluates it); a case with a session
 * runs it through the real SMTP server in memory (smtp/simulation.ts), checks each reply it
 * names, and the fields as last evaluated. Every evaluation is counted for coverage.
 */
import type { Environment } from '../../language/index.js';
import type { ConfigObjects } from '../config/live.js';
import type { FieldTrace } from '../config/object.js';
import { showValue } from '../config/show.js';
import type { SmtpUser } from '../smtp/server.js';
import { Simulator, type Exchange, type SmtpReply } from '../smtp/simulation.js';
import type { Coverage } from './coverage.js';
import type { FieldExpectation, ReplyExpectation, TestCase } from './test-file.js';

/** What the cases of a file run with. */
export interface CaseSetup {
  objects: ConfigObjects;
  users: SmtpUser[];
  env: Environment;
  /** The certificate of STARTTLS in sessions (asked for once, when a session first needs it). */
  tls: () => Promise<{ key: string; cert: string }>;
  coverage: Coverage;
}

export interface CaseResult {
  name: string;
  line: number;
  passed: boolean;
  /** What differs, one line each. */
  failures: string[];
  /** The traces of the fields that differ, for the report. */
  traces: FieldTrace[];
  ms: number;
}

/** Whether a reply has every line the expectation names (the start of a line; `250-` and `250 ` alike). */
function replyMatches(expected: ReplyExpectation, reply: SmtpReply): boolean {
  if ('code' in expected) return reply.code === expected.code;
  const lines = reply.lines.map((l) => l.replace(/^(\d{3})-/, '$1 '));
  return expected.lines.every((want) => lines.some((l) => l.startsWith(want.replace(/^(\d{3})-/, '$1 '))));
}

const showExpectedReply = (e: ReplyExpectation): string => ('code' in e ? String(e.code) : e.lines.map((l) => JSON.stringify(l)).join(' and '));
const showReply = (r: SmtpReply | null): string => (r === null ? 'no reply (the connection was closed)' : r.lines.join(' / '));

/** What differs between a field's expectation and its trace. */
export function compareField(e: FieldExpectation, t: FieldTrace | undefined, where: string): string[] {
  const name = `${e.object}.${e.field}`;
  if (t === undefined) return [`${name}: not evaluated ${where}`];
  const out: string[] = [];
  const error = t.blocks[0]?.error;
  if (e.error === true || typeof e.error === 'string') {
    if (error === undefined) out.push(`${name}: expected no value from its block${typeof e.error === 'string' ? ` (${JSON.stringify(e.error)})` : ''}, but it gave ${showValue(t.type, t.blocks[0]?.value)}`);
    else if (typeof e.error === 'string' && !error.includes(e.error)) out.push(`${name}: expected the error to say ${JSON.stringify(e.error)}, got: ${error}`);
  } else if (error !== undefined) {
    out.push(`${name}: its block gave no value: ${error} (${t.from === 'none' ? 'nothing gives a value' : `the ${t.from} applies: ${showValue(t.type, t.value)}`})`);
  }
  if (Object.prototype.hasOwnProperty.call(e, 'value') && JSON.stringify(e.value) !== JSON.stringify(t.value)) {
    out.push(`${name}: expected ${showValue(e.type, e.value)}, got ${showValue(t.type, t.value)}`);
  }
  return out;
}

export class CaseRunner {
  private simulator: Simulator | null = null;

  constructor(private readonly setup: CaseSetup) {}

  async run(c: TestCase): Promise<CaseResult> {
    const started = performance.now();
    const failures: string[] = [];
    const traces: FieldTrace[] = [];
    const check = (e: FieldExpectation, t: FieldTrace | undefined, where: string): void => {
      const diff = compareField(e, t, where);
      if (diff.length > 0) {
        failures.push(...diff);
        if (t) traces.push(t);
      }
    };
    try {
      if (c.session === undefined) await this.runVars(c, check);
      else await this.runSession(c, check, failures);
    } catch (e) {
      failures.push(`failed to run: ${(e as Error).message}`);
    }
    return { name: c.name, line: c.line, passed: failures.length === 0, failures, traces, ms: performance.now() - started };
  }

  private async runVars(c: TestCase, check: (e: FieldExpectation, t: FieldTrace | undefined, where: string) => void): Promise<void> {
    for (const e of c.expect) {
      const object = this.setup.objects[e.object];
      if (object === undefined) {
        check(e, undefined, '(the configuration has no such object)');
        continue;
      }
      const t = await object.explain(e.field, c.vars ?? {}, this.setup.env);
      this.setup.coverage.add(t);
      check(e, t, '');
    }
  }

  private async simulatorFor(): Promise<Simulator> {
    this.simulator ??= new Simulator({ objects: () => this.setup.objects, users: this.setup.users, env: this.setup.env, tls: await this.setup.tls() });
    return this.simulator;
  }

  private async runSession(c: TestCase, check: (e: FieldExpectation, t: FieldTrace | undefined, where: string) => void, failures: string[]): Promise<void> {
    const simulator = await this.simulatorFor();
    const conn = c.connection ?? {};
    const { session, greeting } = await simulator.open({
      remote_ip: conn.remote_ip ?? '127.0.0.1',
      local_port: conn.local_port ?? 25,
      ...(conn.remote_port !== undefined ? { remote_port: conn.remote_port } : {}),
      ...(conn.local_ip !== undefined ? { local_ip: conn.local_ip } : {}),
      ...(conn.listener !== undefined ? { listener: conn.listener } : {}),
      tls: conn.tls === true,
    });
    const last = new Map<string, FieldTrace>();
    const note = (x: Exchange): Map<string, FieldTrace> => {
      const here = new Map<string, FieldTrace>();
      for (const f of x.fields) {
        this.setup.coverage.add(f.trace);
        const key = `${f.trace.object}.${f.trace.field}`;
        last.set(key, f.trace);
        here.set(key, f.trace);
      }
      return here;
    };
    try {
      note(greeting);
      for (const step of c.session!) {
        if (session.closed) {
          failures.push(`the server closed the connection before \`${step.shown}\``);
          break;
        }
        let x: Exchange | undefined;
        const here = new Map<string, FieldTrace>();
        for (const line of step.lines) {
          x = await session.send(line);
          for (const [k, t] of note(x)) here.set(k, t);
          if (x.closed) break;
        }
        if (step.reply && x) {
          if (x.reply === null || !replyMatches(step.reply, x.reply)) {
            failures.push(`reply to \`${step.shown}\`: expected ${showExpectedReply(step.reply)}, got ${showReply(x.reply)}`);
          }
        }
        for (const e of step.expect) check(e, here.get(`${e.object}.${e.field}`), `by \`${step.shown}\``);
      }
      for (const e of c.expect) check(e, last.get(`${e.object}.${e.field}`), 'in the session');
    } finally {
      session.close();
    }
  }
}
