/**
 * The session policy API for SMTP server code: from a connection's variables it answers
 * the greeting, hostname and script (connect stage), the offered SASL mechanisms, whether
 * AUTH is required, the failure limit and wait (EHLO stage), and whether the sender must
 * match the authenticated user (MAIL FROM stage). Each stage's answers are computed once
 * per stage (again only when the stage's inputs change, such as EHLO after STARTTLS).
 */
import type { Environment } from '../options.js';
import { ConfigObject, type ErrorHook } from './object.js';

/** The configuration objects a policy reads, fetched per session so changes apply to new sessions. */
export interface PolicyConfig {
  MtaStageAuth: ConfigObject;
  MtaStageConnect: ConfigObject;
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

export interface ConnectAnswers {
  greeting: string;
  hostname: string;
  /** The Sieve script to run, or null for none. */
  script: string | null;
}

export interface EhloAnswers {
  /** Offered SASL mechanisms in upper case (`PLAIN`, `LOGIN`, `OAUTHBEARER`, `XOAUTH2`); empty: AUTH not offered. */
  mechanisms: string[];
  authRequired: boolean;
  maxFailures: number;
  /** Milliseconds to wait after a failed AUTH. */
  waitOnFail: number;
}

export interface MailAnswers {
  mustMatchSender: boolean;
}

export interface PolicyOptions {
  /** The host environment: `system` values (hostname, domain, …), globals, lookups. */
  env?: Environment;
  /** Receives fields that gave no value (wrong type, refused value, failed evaluation). */
  onError?: ErrorHook;
}

/** Last-resort answers when a field and its default both have no value. */
const FALLBACK = { maxFailures: 3, waitOnFail: 5000 };

export class SessionPolicy {
  constructor(
    private readonly config: () => PolicyConfig,
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
  private readonly connectStage: Stage<null, ConnectAnswers>;
  private readonly ehloStage: Stage<{ helo: string; tls: boolean }, EhloAnswers>;
  private readonly mailStage: Stage<{ sender: string; user: string; tls: boolean }, MailAnswers>;

  constructor(
    private readonly config: PolicyConfig,
    connection: ConnectionInfo,
    options: PolicyOptions,
  ) {
    this.vars = Object.assign(Object.create(null) as Record<string, unknown>, { protocol: 'smtp', asn: '', country: '' }, connection);
    this.env = options.env ?? {};
    this.onError = options.onError;
    this.connectStage = new Stage(() => this.computeConnect());
    this.ehloStage = new Stage((k) => this.computeEhlo(k.helo, k.tls));
    this.mailStage = new Stage((k) => this.computeMail(k.sender, k.user, k.tls));
  }

  private field<T>(object: 'MtaStageAuth' | 'MtaStageConnect', field: string, vars: Record<string, unknown>): Promise<T | undefined> {
    return this.config[object].evaluate(field, vars, this.env, this.onError) as Promise<T | undefined>;
  }

  /** Greeting, hostname and script (MtaConnectionVariable). */
  connect(): Promise<ConnectAnswers> {
    return this.connectStage.get(null);
  }

  private async computeConnect(): Promise<ConnectAnswers> {
    const vars = { ...this.vars };
    const hostname = (await this.field<string>('MtaStageConnect', 'hostname', vars)) ?? 'localhost';
    const greeting = (await this.field<string>('MtaStageConnect', 'smtpGreeting', vars)) ?? `${hostname} ESMTP`;
    const script = (await this.field<string | null>('MtaStageConnect', 'script', vars)) ?? null;
    return { greeting, hostname, script };
  }

  /** Mechanisms, AUTH requirement, failure limit and wait (MtaEhloVariable); again after STARTTLS. */
  ehlo(heloDomain: string, isTls: boolean): Promise<EhloAnswers> {
    return this.ehloStage.get({ helo: heloDomain, tls: isTls });
  }

  private async computeEhlo(helo: string, tls: boolean): Promise<EhloAnswers> {
    const vars = { ...this.vars, helo_domain: helo, is_tls: tls };
    const mechanisms = (await this.field<string[]>('MtaStageAuth', 'saslMechanisms', vars)) ?? [];
    const authRequired = (await this.field<boolean>('MtaStageAuth', 'require', vars)) ?? true;
    const maxFailures = (await this.field<number>('MtaStageAuth', 'maxFailures', vars)) ?? FALLBACK.maxFailures;
    const waitOnFail = (await this.field<number>('MtaStageAuth', 'waitOnFail', vars)) ?? FALLBACK.waitOnFail;
    return { mechanisms: [...new Set(mechanisms.map((m) => m.toUpperCase()))], authRequired, maxFailures, waitOnFail };
  }

  /** Whether the sender must match the authenticated user (MtaMailFromVariable). */
  mail(sender: string, authenticatedAs: string, isTls: boolean): Promise<MailAnswers> {
    return this.mailStage.get({ sender, user: authenticatedAs, tls: isTls });
  }

  private async computeMail(sender: string, user: string, tls: boolean): Promise<MailAnswers> {
    const at = sender.lastIndexOf('@');
    const vars = { ...this.vars, is_tls: tls, sender, sender_domain: at >= 0 ? sender.slice(at + 1).toLowerCase() : '', authenticated_as: user };
    const mustMatchSender = (await this.field<boolean>('MtaStageAuth', 'mustMatchSender', vars)) ?? true;
    return { mustMatchSender };
  }
}
