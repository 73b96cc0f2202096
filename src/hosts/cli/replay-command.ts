/**
 * `mta-expr replay FILE… --config CANDIDATE`: every step recorded by `smtp --record`,
 * evaluated under the current configuration (`--current FILE`, the live one of `serve`
 * with `--url`, or the defaults) and under the candidate; prints the decisions that would
 * change. Progress goes to stderr on long replays.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ConfigObjects } from '../config/live.js';
import { ConfigError } from '../config/object.js';
import { str } from '../json.js';
import { parseRecordedStep } from '../smtp/record.js';
import { Replay, type ReplayReport } from '../testing/replay.js';
import { CommandError, readText, styles, UsageError, useColor, type CommandArgs, type FlagValues, type Io } from './io.js';
import { policySetup, type PolicySetup } from './policy-setup.js';
import { loadServerConfig } from './server-config.js';

/** Exit code of `--exit-code` when a decision would change (as `apply --dry-run --exit-code`). */
export const CHANGE_EXIT = 3;

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** A recorded step's variables in one line (empty ones left out). */
function varsText(vars: Record<string, unknown>): string {
  return Object.entries(vars)
    .filter(([, v]) => v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** The report as text. */
export function replayText(r: ReplayReport, labels: { current: string; candidate: string }, s: ReturnType<typeof styles>): string {
  const out = [`replayed ${plural(r.steps, 'step')} of ${plural(r.sessions, 'session')}; current: ${labels.current}; candidate: ${labels.candidate}`];
  for (const f of r.failures) {
    out.push(s.red(`the ${f.configuration} configuration's ${f.object}.${f.field} gives no value in ${plural(f.steps, 'step')} (its default applies): ${f.example}`));
  }
  if (r.fields.length === 0) {
    out.push(s.green(`no decision would change`));
    return out.join('\n') + '\n';
  }
  out.push(
    `${plural(r.fields.length, 'field')} would change, in ${r.changedSessions.toLocaleString('en-US')} of ${plural(r.sessions, 'session')} (${r.changedSteps.toLocaleString('en-US')} of ${plural(r.steps, 'step')}):`,
  );
  for (const f of r.fields) {
    out.push(`  ${s.bold(`${f.object}.${f.field}`)}: ${plural(f.sessions, 'session')}, ${plural(f.steps, 'step')}`);
    for (const c of f.changes) {
      const nets = c.networks.slice(0, 3).map((n) => `${n.network} (${n.sessions.toLocaleString('en-US')})`);
      const more = c.networks.length > 3 ? `, ${plural(c.networks.length - 3, 'other network')}` : '';
      out.push(`    ${c.text}: ${plural(c.sessions, 'session')}, ${plural(c.steps, 'step')}, from ${nets.join(', ')}${more}`);
      for (const e of c.examples) out.push(s.dim(`      e.g. session ${e.session} at ${e.stage}: ${varsText(e.vars)}`));
    }
  }
  return out.join('\n') + '\n';
}

/** Progress on stderr: a line kept up to date on a terminal, otherwise a line every 5 seconds. */
function progress(io: Io): { tick(steps: number, sessions: number): void; done(): void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const every = tty ? 100 : 5000;
  const started = performance.now();
  let last = started;
  let shown = false;
  return {
    tick(steps, sessions) {
      const now = performance.now();
      if (now - last < every) return;
      last = now;
      const line = `replaying: ${plural(steps, 'step')} of ${plural(sessions, 'session')}, ${((now - started) / 1000).toFixed(1)} s`;
      io.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      shown = true;
    },
    done() {
      if (tty && shown) io.stderr.write('\r\x1b[K');
    },
  };
}

/** `mta-expr replay`. */
export async function replayCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const candidateFile = str(values.config);
  if (candidateFile === undefined) throw new UsageError('replay needs --config FILE: the candidate configuration', 'replay');
  const current = str(values.current);
  if (current !== undefined && str(values.url) !== undefined) throw new UsageError('give --current FILE or --url URL, not both', 'replay');
  const examples = str(values.examples) ?? '3';
  if (!/^[0-9]{1,3}$/.test(examples)) throw new UsageError(`--examples must be a number, not \`${examples}\``, 'replay');
  readText(candidateFile);
  let candidate;
  try {
    candidate = loadServerConfig(candidateFile).objects;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new CommandError((e as Error).message);
  }
  const setup = await policySetup({ ...values, config: current }, io, 'replay');
  try {
    return await replayFiles(setup, candidate, candidateFile, positionals, Number(examples), values, io);
  } finally {
    await setup.close();
  }
}

/** Replays the record files on the current configuration and the candidate; the report, and the exit code. */
async function replayFiles(setup: PolicySetup, candidate: ConfigObjects, candidateFile: string, files: readonly string[], examples: number, values: FlagValues, io: Io): Promise<number> {
  const replay = new Replay({ current: setup.objects, candidate, env: setup.env, examples });
  const p = progress(io);
  for (const file of files) {
    readText(file);
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of lines) {
        n++;
        if (line.trim() === '') continue;
        const step = parseRecordedStep(line);
        if (typeof step === 'string') throw new CommandError(`${file} line ${n}: not a recorded step: ${step}`);
        await replay.add(step);
        p.tick(replay.progress.steps, replay.progress.sessions);
      }
    } finally {
      p.done();
      lines.close();
    }
  }
  const report = replay.report();
  const labels = { current: setup.description, candidate: candidateFile };
  io.stdout.write(values.json ? JSON.stringify({ ...labels, ...report }) + '\n' : replayText(report, labels, styles(useColor(io, 'stdout'))));
  return values['exit-code'] && report.fields.length > 0 ? CHANGE_EXIT : 0;
}
