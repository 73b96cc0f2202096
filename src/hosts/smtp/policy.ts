/**
 * The session policy API for SMTP server code: from a connection's variables it answers
 * each SMTP stage — the greeting, hostname and script (connect), the offered SASL
 * mechanisms, whether AUTH is required, the failure limit and wait (EHLO), whether the
 * sender must match the authenticated user (MAIL FROM).
 *
 * Which fields a stage evaluates comes from the schema: every field whose context is the
 * stage's variable group (MtaConnectionVariable, MtaEhloVariable, MtaMailFromVariable), of
 * every object, is evaluated at that stage and reported in `values`; the answers the SMTP
 * server acts on are read from those values. Each stage is computed once per session (again
 * only when its inputs change, such as EHLO after STARTTLS).
 *
 * A field whose host lookup failed (a store down or too slow) is reported to the error hook
 * like any evaluation error, and is also listed in the stage's `lookupFailures`: the answer
 * would otherwise silently be the default (AUTH not required, no rate limit), so the server
 * answers that stage with a temporary failure (4xx) and the client tries again later.
 */
import { EvaluationError, prepareVariables, type Environment } from '../../language/index.js';
import type { ConfigObjects } from '../config/live.js';
import type { ErrorHook, FieldError, FieldTrace } from '../config/object.js';
import { SCHEMA } from '../config/schema.js';
import { withDeadline } from '../lookups/deadline.js';

/** A field's value from a stage, or the schema's fallback when the configuration has no such object. */
function answer<T>(values: StageValues, object: string, field: string): T {
  const v = values[object]?.[field];
  return (v === undefined ? SCHEMA[object]?.fields[field]?.fallback : v) as T;
}

/** What the server knows when a client connects (MtaConnectionVariable). */
export interface ConnectionInfo {
  /** The listener's name (`smtp`, `submission`, …). */
  listener: string;
  remote_ip: string;
  remote_port: number;
  local_ip: string;
  /** The port the expressions see: by default the bound port. */
  local_port: number;
  protocol?: string;
  is_tls: boolean;
  asn?: number | string;
  country?: string;
}

/** Every field a stage evaluated: object → field → typed value. */
export type StageValues = Record<string, Record<string, unknown>>;

export interface ConnectAnswers {
  greeting: string;
  hostname: string;
  /** The Sieve script to run, or null for none. */
  script: string | null;
  values: StageValues;
  /** Fields whose host lookup failed: the greeting is then a temporary failure (421). */
  lookupFailures: FieldError[];
}

export interface EhloAnswers {
  /** Offered SASL mechanisms in upper case (`PLAIN`, `LOGIN`, `OAUTHBEARER`, `XOAUTH2`); empty: AUTH not offered. */
  mechanisms: string[];
  authRequired: boolean;
  maxFailures: number;
  /** Milliseconds to wait after a failed AUTH. */
  waitOnFail: number;
  values: StageValues;
  /** Fields whose host lookup failed: EHLO is then answered with a temporary failure (451). */
  lookupFailures: FieldError[];
}

export interface MailAnswers {
  mustMatchSender: boolean;
  values: StageValues;
  /** Fields whose host lookup failed: MAIL FROM is then answered with a temporary failure (451). */
  lookupFailures: FieldError[];
}

/** What the server knows at RCPT TO (MtaRcptToVariable), besides the connection. */
export interface RcptInfo {
  helo: string;
  sender: string;
  authenticatedAs: string;
  rcpt: string;
  /** Every recipient accepted so far, this one included. */
  recipients: string[];
  isTls: boolean;
}

export interface RcptAnswers {
  values: StageValues;
  /** Fields whose host lookup failed. */
  lookupFailures: FieldError[];
}

export interface PolicyOptions {
  /** The host environment: `system` values (hostname, domain, …), globals, lookups. */
  env?: Environment;
  /** Receives fields that gave no value (wrong type, refused value, failed evaluation). */
  onError?: ErrorHook;
  /**
   * A field that gives no value fails its stage with a PolicyStageError (the host answers
   * a temporary failure) instead of falling back to the field's default: a rule the
   * operator wrote is never silently replaced by a laxer default.
   */
  strict?: boolean;
  /** Receives each stage's variables before its fields are evaluated (what `smtp --record` writes). */
  onStage?: (event: StageEvent) => void;
  /**
   * Evaluates each field step by step and gives its trace (what `simulate` shows): the same
   * values, with each condition's value and the branch taken.
   */
  onField?: (trace: FieldTrace, stage: StageName, session: PolicySession) => void;
  /**
   * The longest one stage's evaluation may take, in ms (default: none; the SMTP server gives
   * 15 s). Past it the stage is a lookup failure (the host answers 4xx) with the values it
   * has, and what is still running is ignored: a lookup that never answers never pins a session.
   */
  stageTimeout?: number;
}

/** A stage about to be evaluated, with the variables its fields see. */
export interface StageEvent {
  session: PolicySession;
  stage: StageName;
  vars: Readonly<Record<string, unknown>>;
}

/** A stage of a strict policy whose fields did not all give a value. */
export class PolicyStageError extends Error {
  override readonly name = 'PolicyStageError';
  constructor(
    readonly stage: StageName,
    readonly errors: readonly FieldError[],
  ) {
    super(`${stage} stage: ${errors.map((e) => `${e.object}.${e.field}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}`).join('; ')}`);
  }
}

/** The stage of each variable group. */
export const STAGES = { connect: 'MtaConnectionVariable', ehlo: 'MtaEhloVariable', mail: 'MtaMailFromVariable', rcpt: 'MtaRcptToVariable' } as const;
export type StageName = keyof typeof STAGES;

export class SessionPolicy {
  /** @param config the objects in force, asked for at the start of each session */
  constructor(
    private readonly config: () => ConfigObjects,
    private readonly options: PolicyOptions = {},
  ) {}

  /** Policy for one connection; the configuration in force now applies to the whole session. */
  session(connection: ConnectionInfo): PolicySession {
    return new PolicySession(this.config(), connection, this.options);
  }
}

/** Keyed memo: a stage's answers for the latest inputs. */
class Stage<K, T> {
  private key: string | undefined;
  private value: Promise<T> | undefined;
  constructor(private readonly compute: (k: K) => Promise<T>) {}
  get(k: K): Promise<T> {
    const key = JSON.stringify(k);
    if (this.value === undefined || key !== this.key) {
      this.key = key;
      this.value = this.compute(k);
    }
    return this.value;
  }
}

export class PolicySession {
  private readonly vars: Record<string, unknown>;
  private readonly env: Environment;
  private readonly onError: ErrorHook | undefined;
  private readonly strict: boolean;
  private readonly onStage: PolicyOptions['onStage'];
  private readonly onField: PolicyOptions['onField'];
  private readonly stageTimeout: number | undefined;
  private readonly connectStage: Stage<null, ConnectAnswers>;
  private readonly ehloStage: Stage<{ helo: string; tls: boolean }, EhloAnswers>;
  private readonly mailStage: Stage<{ sender: string; user: string; tls: boolean }, MailAnswers>;

  constructor(
    private readonly config: ConfigObjects,
    connection: ConnectionInfo,
    options: PolicyOptions,
  ) {
    this.vars = Object.assign(Object.create(null) as Record<string, unknown>, { protocol: 'smtp', asn: '', country: '' }, connection);
    this.env = options.env ?? {};
    this.onError = options.onError;
    this.strict = options.strict ?? false;
    this.onStage = options.onStage;
    this.onField = options.onField;
    this.stageTimeout = options.stageTimeout;
    this.connectStage = new Stage(() => this.computeConnect());
    this.ehloStage = new Stage((k) => this.computeEhlo(k.helo, k.tls));
    this.mailStage = new Stage((k) => this.computeMail(k.sender, k.user, k.tls));
  }

  /** Evaluates every field of the stage's context, object by object, in schema order. */
  private async stage(name: StageName, vars: Record<string, unknown>): Promise<{ values: StageValues; lookupFailures: FieldError[] }> {
    const group = STAGES[name];
    const values: StageValues = {};
    const errors: FieldError[] = [];
    const lookupFailures: FieldError[] = [];
    const onError: ErrorHook = (e) => {
      errors.push(e);
      if (e.cause instanceof EvaluationError && e.cause.code === 'lookup') lookupFailures.push(e);
      this.onError?.(e);
    };
    this.onStage?.({ session: this, stage: name, vars });
    // Prepared once for every field of the stage: one hidden class for all of them.
    const prepared = prepareVariables(vars);
    const onField = this.onField;
    let late = false;
    const work = (async () => {
      for (const [objectName, object] of Object.entries(this.config)) {
        for (const [field, schema] of Object.entries(object.schema.fields)) {
          if (schema.variables !== group) continue;
          let value: unknown;
          if (onField === undefined) value = await object.evaluate(field, prepared, this.env, (e) => late || onError(e));
          else {
            const trace = await object.explain(field, prepared, this.env, (e) => late || onError(e));
            if (!late) onField(trace, name, this);
            value = trace.value;
          }
          if (late) return;
          (values[objectName] ??= {})[field] = value;
        }
      }
    })();
    void work.catch(() => undefined); // a stage given up on may still fail: nothing waits for it
    const timeout = this.stageTimeout;
    if (timeout === undefined) await work;
    else {
      const timedOut = new EvaluationError('lookup', `the ${name} stage did not finish within ${timeout} ms`);
      try {
        await withDeadline(work, timeout, () => timedOut);
      } catch (e) {
        if (e !== timedOut) throw e;
        late = true;
        onError({ object: '*', field: '*', cause: timedOut });
      }
    }
    if (this.strict && errors.length > 0) throw new PolicyStageError(name, errors);
    return { values, lookupFailures };
  }

  /** Greeting, hostname and script (MtaConnectionVariable). */
  connect(): Promise<ConnectAnswers> {
    return this.connectStage.get(null);
  }

  private async computeConnect(): Promise<ConnectAnswers> {
    const { values, lookupFailures } = await this.stage('connect', { ...this.vars });
    const hostname = answer<string>(values, 'MtaStageConnect', 'hostname');
    // The greeting line must exist: without one, the server greets with its hostname.
    const greeting = answer<string | undefined>(values, 'MtaStageConnect', 'smtpGreeting') ?? `${hostname} ESMTP`;
    return { greeting, hostname, script: answer<string | null>(values, 'MtaStageConnect', 'script'), values, lookupFailures };
  }

  /** Mechanisms, AUTH requirement, failure limit and wait (MtaEhloVariable); again after STARTTLS. */
  ehlo(heloDomain: string, isTls: boolean): Promise<EhloAnswers> {
    return this.ehloStage.get({ helo: heloDomain, tls: isTls });
  }

  private async computeEhlo(helo: string, tls: boolean): Promise<EhloAnswers> {
    const { values, lookupFailures } = await this.stage('ehlo', { ...this.vars, helo_domain: helo, is_tls: tls });
    const mechanisms = answer<string[]>(values, 'MtaStageAuth', 'saslMechanisms');
    return {
      mechanisms: [...new Set(mechanisms.map((m) => m.toUpperCase()))],
      authRequired: answer<boolean>(values, 'MtaStageAuth', 'require'),
      maxFailures: answer<number>(values, 'MtaStageAuth', 'maxFailures'),
      waitOnFail: answer<number>(values, 'MtaStageAuth', 'waitOnFail'),
      values,
      lookupFailures,
    };
  }

  /** Whether the sender must match the authenticated user (MtaMailFromVariable). */
  mail(sender: string, authenticatedAs: string, isTls: boolean): Promise<MailAnswers> {
    return this.mailStage.get({ sender, user: authenticatedAs, tls: isTls });
  }

  private async computeMail(sender: string, user: string, tls: boolean): Promise<MailAnswers> {
    const vars = { ...this.vars, is_tls: tls, sender, sender_domain: domainOf(sender), authenticated_as: user };
    const { values, lookupFailures } = await this.stage('mail', vars);
    return { mustMatchSender: answer<boolean>(values, 'MtaStageAuth', 'mustMatchSender'), values, lookupFailures };
  }

  /** Every field of the RCPT TO stage (MtaRcptToVariable), for one recipient; not memoised. */
  async rcpt(info: RcptInfo): Promise<RcptAnswers> {
    const vars = {
      ...this.vars,
      is_tls: info.isTls,
      helo_domain: info.helo,
      sender: info.sender,
      sender_domain: domainOf(info.sender),
      authenticated_as: info.authenticatedAs,
      rcpt: info.rcpt,
      rcpt_domain: domainOf(info.rcpt),
      recipients: info.recipients,
      priority: 0,
    };
    return this.stage('rcpt', vars);
  }
}

/** The domain of an address, in lower case ('' without one). */
function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1).toLowerCase() : '';
}

/**
 * Whether an authenticated user may send as `sender` (mustMatchSender): the sender is the
 * username itself or one of the user's addresses, compared without regard to case; an
 * address `@example.org` stands for every sender of that domain (as in the reference).
 */
export function senderMatches(sender: string, username: string, addresses: readonly string[] = []): boolean {
  const s = sender.toLowerCase();
  if (s === username.toLowerCase()) return true;
  return addresses.some((a) => {
    const e = a.toLowerCase();
    return e === s || (e.startsWith('@') && s.endsWith(e));
  });
}

/** The failure limit and wait before any EHLO was answered: the schema's fallbacks. */
export const DEFAULT_AUTH_LIMITS: Readonly<Pick<EhloAnswers, 'maxFailures' | 'waitOnFail'>> = Object.freeze({
  maxFailures: answer<number>({}, 'MtaStageAuth', 'maxFailures'),
  waitOnFail: answer<number>({}, 'MtaStageAuth', 'waitOnFail'),
});
