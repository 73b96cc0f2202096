/**
 * The SMTP connection of the policy server: a small subclass of smtp-server's connection
 * that sends the exact 220 line, evaluates the EHLO stage (TLS state included) before
 * smtp-server answers EHLO/HELO, and adds OAUTHBEARER (RFC 7628).
 */
import type { Socket } from 'node:net';
import type { SMTPServer, SMTPServerAuthentication } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { withDeadline } from '../lookups/deadline.js';
import type { SmtpLimits } from './limits.js';
import type { ConnectAnswers, EhloAnswers, PolicySession } from './policy.js';

export interface PolicyState {
  session: PolicySession;
  ehlo: EhloAnswers | undefined;
  failures: number;
  listener: string;
  limits: Pick<SmtpLimits, 'maxHeloLength' | 'bearerNeedsTls' | 'stageTimeout'>;
}

export const plainAddress = (a: string | undefined): string => (a && a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : (a ?? ''));

/** The reply text of a stage whose lookup failed (a store down or too slow). */
export const TEMPORARY_LOOKUP_FAILURE = 'Temporary failure: a lookup did not answer, try again later';

/** A stage's answers, or a rejection once `ms` have passed (0: no limit): a stage never holds a session longer. */
export function withStageTimeout<T>(stage: Promise<T>, ms: number): Promise<T> {
  return ms > 0 ? withDeadline(stage, ms, () => new Error(`the stage did not finish within ${ms} ms`)) : stage;
}

export function authError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** The connection subclass: greeting, EHLO stage, OAUTHBEARER. */
export class PolicyConnection extends SMTPConnection {
  readonly policy: PolicyState;
  private readonly connectAnswers: ConnectAnswers;

  constructor(server: SMTPServer, socket: Socket, state: PolicyState, answers: ConnectAnswers) {
    super(server, socket);
    this.policy = state;
    this.connectAnswers = answers;
  }

  /**
   * `init` without its pause for early talkers (a client that speaks before the greeting
   * gets 421): for a simulation, whose client speaks only after the greeting.
   */
  initNow(): void {
    this._setListeners(() => this.connectionReady());
  }

  override _sendGreeting(): void {
    // A lookup of the connect stage failed: a temporary refusal (421 closes the connection), never a greeting built on defaults.
    if (this.connectAnswers.lookupFailures.length > 0) return this.send(421, `${this.connectAnswers.hostname} ${TEMPORARY_LOOKUP_FAILURE}`, false);
    this.send(220, this.connectAnswers.greeting, false);
  }

  /**
   * Evaluates the EHLO stage (TLS state included) before smtp-server answers; an argument
   * longer than a domain can be is refused before any expression sees it.
   */
  private withEhloStage(command: Buffer, callback: () => void, then: () => void): void {
    const helo = command.toString().trim().split(/\s+/)[1] ?? '';
    const max = this.policy.limits.maxHeloLength;
    if (max > 0 && Buffer.byteLength(helo) > max) {
      this.send(501, `5.5.4 The ${command.toString().trim().slice(0, 4).toUpperCase()} argument is longer than ${max} bytes`);
      return callback();
    }
    withStageTimeout(this.policy.session.ehlo(helo, this.secure), this.policy.limits.stageTimeout).then(
      (answers) => {
        if (this._closed || this._closing) return callback();
        if (answers.lookupFailures.length > 0) {
          this.send(451, TEMPORARY_LOOKUP_FAILURE);
          return callback();
        }
        this.policy.ehlo = answers;
        const options = this._server.options;
        // Bearer tokens before TLS would cross the network in the clear: offered after STARTTLS only, when the operator says so.
        options.authMethods = this.policy.limits.bearerNeedsTls && !this.secure ? answers.mechanisms.filter((m) => m !== 'OAUTHBEARER' && m !== 'XOAUTH2') : answers.mechanisms;
        options.authOptional = !answers.authRequired;
        then();
      },
      () => {
        if (this._closed || this._closing) return callback();
        this.send(451, 'Temporary policy failure');
        callback();
      },
    );
  }

  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.withEhloStage(command, callback, () => super.handler_EHLO(command, callback));
  }

  override handler_HELO(command: Buffer, callback: () => void): void {
    this.withEhloStage(command, callback, () => super.handler_HELO(command, callback));
  }

  override handler_AUTH(command: Buffer, callback: () => void): void {
    const args = command.toString().trim().split(/\s+/);
    if ((args[1] ?? '').toUpperCase() !== 'OAUTHBEARER') return super.handler_AUTH(command, callback);
    if (this.session.user) {
      this.send(503, 'Error: No identity changes permitted');
      return callback();
    }
    if (!this._server.options.authMethods.includes('OAUTHBEARER')) {
      this.send(504, 'Error: Unrecognized authentication type');
      return callback();
    }
    if (args.length > 3) {
      this.send(501, 'Error: syntax: AUTH OAUTHBEARER token');
      return callback();
    }
    if (args.length === 3) return this.oauthBearer(args[2]!, callback);
    (this as unknown as { _nextHandler: unknown })._nextHandler = (line: Buffer, next: () => void) => {
      (this as unknown as { _nextHandler: unknown })._nextHandler = false;
      const token = line.toString().trim();
      if (token === '*') {
        this.send(501, 'Authentication aborted');
        return next();
      }
      this.oauthBearer(token, next);
    };
    this.send(334);
    callback();
  }

  /** RFC 7628: `n,a=USER,^Aauth=Bearer TOKEN^A^A` (base64). */
  private oauthBearer(token: string, callback: () => void): void {
    const message = Buffer.from(token, 'base64').toString('utf8');
    const [gs2, ...kvs] = message.split('\x01');
    const user = /(?:^|,)a=([^,]*)/.exec(gs2 ?? '')?.[1]?.replace(/=2C/g, ',').replace(/=3D/g, '=') ?? '';
    const bearer = kvs.map((kv) => /^auth=Bearer (.+)$/i.exec(kv)?.[1]).find(Boolean) ?? '';
    if (!gs2?.startsWith('n,') && !gs2?.startsWith('y,')) {
      this.send(501, 'Error: invalid OAUTHBEARER message');
      return callback();
    }
    const auth = { method: 'OAUTHBEARER', username: user, accessToken: bearer } as unknown as SMTPServerAuthentication;
    this._server.onAuth(auth, this.session, (err, response) => {
      if (err) {
        this.send((err as { responseCode?: number }).responseCode ?? 535, err.message);
        return callback();
      }
      if (!response?.user) {
        this.send(535, response?.message ?? 'Error: Authentication credentials invalid');
        return callback();
      }
      this.session.user = response.user;
      this.send(235, 'Authentication successful');
      callback();
    });
  }
}
