/**
 * What a change would do to real traffic: every recorded step (a stage of a session, with
 * the variables its fields saw) is evaluated under the current configuration and under a
 * candidate, field by field, and every decision that would change is counted — by field,
 * by change of value (`[plain, login] → []`), with the sessions, the client networks they
 * came from, and a few examples. A field whose block is the same in both configurations
 * decides the same and is not evaluated, unless it calls host lookups (whose answers may
 * differ from one evaluation to the next).
 */
import ipaddr from 'ipaddr.js';
import type { Environment } from '../../language/index.js';
import type { ConfigObjects } from '../config/live.js';
import { describeCause, sameBlock } from '../config/object.js';
import { SCHEMA, type Schema } from '../config/schema.js';
import { showValue } from '../config/show.js';
import { STAGES, type StageName } from '../smtp/policy.js';
import type { RecordedStep } from '../smtp/record.js';

/** One way a field's value would change: from the current value to the candidate's. */
export interface ValueChange {
  current: unknown;
  candidate: unknown;
  /** Both as an operator reads them. */
  text: string;
  steps: number;
  sessions: number;
  /** The client networks (IPv4 /24, IPv6 /48) of the sessions, most sessions first. */
  networks: Array<{ network: string; sessions: number }>;
  examples: Array<{ session: string; stage: StageName; vars: Record<string, unknown> }>;
}

export interface FieldChange {
  object: string;
  field: string;
  steps: number;
  sessions: number;
  changes: ValueChange[];
}

/** A field whose block gives no value under a configuration (its default then applies). */
export interface FieldFailure {
  configuration: 'current' | 'candidate';
  object: string;
  field: string;
  steps: number;
  /** The first reason. */
  example: string;
}

export interface ReplayReport {
  steps: number;
  sessions: number;
  /** Steps and sessions in which at least one decision changes. */
  changedSteps: number;
  changedSessions: number;
  fields: FieldChange[];
  failures: FieldFailure[];
}

export interface ReplayOptions {
  current: ConfigObjects;
  candidate: ConfigObjects;
  env?: Environment;
  schema?: Schema;
  /** Examples kept per change of value (default 3). */
  examples?: number;
}

interface ChangeTally {
  current: unknown;
  candidate: unknown;
  type: string;
  steps: number;
  sessions: Set<string>;
  networks: Map<string, Set<string>>;
  examples: ValueChange['examples'];
}

interface FieldTally {
  object: string;
  field: string;
  steps: number;
  sessions: Set<string>;
  changes: Map<string, ChangeTally>;
}

/** The network a client address belongs to, for grouping: IPv4 /24, IPv6 /48. */
export function networkOf(ip: unknown): string {
  if (typeof ip !== 'string' || !ipaddr.isValid(ip)) return 'unknown';
  const a = ipaddr.process(ip);
  if (a.kind() === 'ipv4') {
    const o = (a as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const p = (a as ipaddr.IPv6).parts;
  return `${p.slice(0, 3).map((x) => x.toString(16)).join(':')}::/48`;
}

/** The fields of each stage, in schema order. */
function stageFields(schema: Schema): Record<StageName, Array<{ object: string; field: string; type: string }>> {
  const out = Object.fromEntries(Object.keys(STAGES).map((s) => [s, []])) as unknown as Record<StageName, Array<{ object: string; field: string; type: string }>>;
  for (const [object, o] of Object.entries(schema)) {
    for (const [field, f] of Object.entries(o.fields)) {
      const stage = (Object.keys(STAGES) as StageName[]).find((s) => STAGES[s] === f.variables);
      if (stage) out[stage].push({ object, field, type: f.type });
    }
  }
  return out;
}

/** Replays recorded steps one by one; `report` says what would change. */
export class Replay {
  private readonly fields: Record<StageName, Array<{ object: string; field: string; type: string }>>;
  private readonly tallies = new Map<string, FieldTally>();
  private readonly failures = new Map<string, FieldFailure>();
  private readonly sessions = new Set<string>();
  private readonly changedSessions = new Set<string>();
  private steps = 0;
  private changedSteps = 0;
  private readonly env: Environment;
  private readonly examples: number;

  constructor(private readonly options: ReplayOptions) {
    const differ = ({ object, field }: { object: string; field: string }): boolean => {
      const a = options.current[object];
      const b = options.candidate[object];
      if (a === undefined || b === undefined) return false;
      return !sameBlock(a.block(field), b.block(field)) || a.program(field).isAsync || b.program(field).isAsync;
    };
    const all = stageFields(options.schema ?? SCHEMA);
    this.fields = Object.fromEntries(Object.entries(all).map(([stage, fields]) => [stage, fields.filter(differ)])) as typeof all;
    this.env = options.env ?? {};
    this.examples = options.examples ?? 3;
  }

  /** Steps and sessions replayed so far. */
  get progress(): { steps: number; sessions: number } {
    return { steps: this.steps, sessions: this.sessions.size };
  }

  private fail(configuration: FieldFailure['configuration'], object: string, field: string, cause: unknown): void {
    const key = `${configuration}\0${object}\0${field}`;
    const f = this.failures.get(key);
    if (f) f.steps++;
    else this.failures.set(key, { configuration, object, field, steps: 1, example: describeCause(cause) });
  }

  /** Evaluates one step under both configurations. */
  async add(step: RecordedStep): Promise<void> {
    this.steps++;
    this.sessions.add(step.session);
    let changed = false;
    for (const { object, field, type } of this.fields[step.stage]) {
      const cur = this.options.current[object]!;
      const cand = this.options.candidate[object]!;
      const a = await cur.evaluate(field, step.vars, this.env, (e) => this.fail('current', object, field, e.cause));
      const b = await cand.evaluate(field, step.vars, this.env, (e) => this.fail('candidate', object, field, e.cause));
      const ka = JSON.stringify(a);
      const kb = JSON.stringify(b);
      if (ka === kb) continue;
      changed = true;
      this.tally(object, field, type, step, a, b, `${ka}\0${kb}`);
    }
    if (changed) {
      this.changedSteps++;
      this.changedSessions.add(step.session);
    }
  }

  private tally(object: string, field: string, type: string, step: RecordedStep, current: unknown, candidate: unknown, key: string): void {
    const name = `${object}.${field}`;
    let t = this.tallies.get(name);
    if (t === undefined) {
      t = { object, field, steps: 0, sessions: new Set(), changes: new Map() };
      this.tallies.set(name, t);
    }
    t.steps++;
    t.sessions.add(step.session);
    let c = t.changes.get(key);
    if (c === undefined) {
      c = { current, candidate, type, steps: 0, sessions: new Set(), networks: new Map(), examples: [] };
      t.changes.set(key, c);
    }
    c.steps++;
    if (!c.sessions.has(step.session)) {
      c.sessions.add(step.session);
      const net = networkOf(step.vars.remote_ip);
      let n = c.networks.get(net);
      if (n === undefined) c.networks.set(net, (n = new Set()));
      n.add(step.session);
      if (c.examples.length < this.examples) c.examples.push({ session: step.session, stage: step.stage, vars: step.vars });
    }
  }

  report(): ReplayReport {
    const bySessions = <T extends { sessions: number; steps: number }>(a: T, b: T): number => b.sessions - a.sessions || b.steps - a.steps;
    const fields = [...this.tallies.values()]
      .map(
        (t): FieldChange => ({
          object: t.object,
          field: t.field,
          steps: t.steps,
          sessions: t.sessions.size,
          changes: [...t.changes.values()]
            .map(
              (c): ValueChange => ({
                current: c.current,
                candidate: c.candidate,
                text: `${showValue(c.type, c.current)} → ${showValue(c.type, c.candidate)}`,
                steps: c.steps,
                sessions: c.sessions.size,
                networks: [...c.networks].map(([network, s]) => ({ network, sessions: s.size })).sort((a, b) => b.sessions - a.sessions || a.network.localeCompare(b.network)),
                examples: c.examples,
              }),
            )
            .sort(bySessions),
        }),
      )
      .sort(bySessions);
    return {
      steps: this.steps,
      sessions: this.sessions.size,
      changedSteps: this.changedSteps,
      changedSessions: this.changedSessions.size,
      fields,
      failures: [...this.failures.values()],
    };
  }
}
