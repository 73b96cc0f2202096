/**
 * The Postfix policy service: Postfix's `check_policy_service inet:HOST:PORT` asks it at
 * each stage where it is listed (RCPT usually, also CONNECT, HELO, MAIL, DATA, END-OF-MESSAGE),
 * over persistent connections from many smtpd processes at once.
 *
 * Each request's attributes become the language's variables (attributesToConnection,
 * the README's table); a Postfix SMTP session (its `instance`) is one policy session, so
 * the configuration in force when it began applies to all its requests. The decision, in
 * order: `require` without a SASL user at MAIL or later → the reference's 503; a SASL
 * mechanism that `saslMechanisms` does not offer on that port and TLS state → 554;
 * `mustMatchSender` and a sender that is not the user's → the reference's 501; then the
 * operator rule (PostfixPolicy.action) when it gives an action; otherwise DUNNO.
 *
 * A malformed request, no configuration yet, or an expression that fails: a log line and
 * DEFER_IF_PERMIT with a temporary reply. Nothing a client sends ends the process.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Environment } from '../../language/index.js';
import type { ConfigObjects } from '../config/live.js';
import { describeFailure, type ConfigSource } from '../config/source.js';
import { defaultListener, type Listener } from '../smtp/listeners.js';
import { senderMatches, SessionPolicy, type ConnectionInfo, type PolicySession } from '../smtp/policy.js';
import { REPLIES, replyText, type Reply } from '../smtp/replies.js';
import { answer, isPostfixAction, RequestReader, type Attributes } from './protocol.js';

/** The answer when the policy cannot be applied (Postfix defers the mail if it would otherwise be accepted). */
export const TEMPORARY = `DEFER_IF_PERMIT ${replyText(REPLIES.policyUnavailable)}`;

/** The operator rules: the field whose value is the answer (PostfixPolicy in the schema). */
export const RULE = { object: 'PostfixPolicy', field: 'action' } as const;

/** The stages at which a client has had its chance to authenticate. */
const AFTER_MAIL = new Set(['MAIL', 'RCPT', 'DATA', 'BDAT', 'END-OF-MESSAGE']);

export interface PolicyServiceOptions {
  source: ConfigSource;
  /** Address and port to bind (port 0: any free port). */
  host: string;
  port: number;
  /** The host environment (system('hostname'), …). */
  env?: Environment;
  /** Listeners by Postfix's `server_port`; a request's `policy_context`, when set, names the listener. */
  listeners?: ReadonlyMap<number, Listener>;
  /** The addresses each SASL user may send as (by lower-cased username), for mustMatchSender. */
  senderLogins?: ReadonlyMap<string, readonly string[]>;
  /** One line per event worth an operator's attention (malformed request, failed expression, …). */
  log: (line: string) => void;
  /** Also log every decision. */
  verbose?: boolean;
  /** Close a connection idle for this long (ms, default 10 minutes; Postfix reconnects). */
  idleTimeoutMs?: number;
  /** Simultaneous connections (default 1000). */
  maxConnections?: number;
}

export interface Decision {
  action: string;
  /** Why, for the log. */
  reason: string;
}

const reply = (r: Reply): string => `${r.code} ${replyText(r)}`;

/** A Postfix SMTP session's variables, from one request. */
export function attributesToConnection(a: Attributes, listeners: ReadonlyMap<number, Listener> = new Map()): ConnectionInfo {
  const serverPort = Number(a.get('server_port') ?? '0') || 0;
  const listener = listeners.get(serverPort) ?? defaultListener(serverPort);
  const context = a.get('policy_context') ?? '';
  return {
    listener: context !== '' ? context : listener.name,
    remote_ip: a.get('client_address') ?? '',
    remote_port: Number(a.get('client_port') ?? '0') || 0,
    local_ip: a.get('server_address') ?? '',
    local_port: listener.port,
    is_tls: (a.get('encryption_protocol') ?? '') !== '',
  };
}

export class PostfixPolicyService {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** Policy sessions by Postfix's `instance`, the oldest first. */
  private readonly sessions = new Map<string, PolicySession>();
  private readonly policy: SessionPolicy;
  private objects: ConfigObjects | null = null;

  constructor(private readonly options: PolicyServiceOptions) {
    // Strict: a field that gives no value fails the request's stage, whose error (logged) names it.
    this.policy = new SessionPolicy(() => this.objects!, { env: options.env ?? {}, strict: true });
  }

  /** Binds the service; resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    const server = createServer((socket) => this.connection(socket));
    server.maxConnections = this.options.maxConnections ?? 1000;
    server.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) => this.options.log(`refused a connection from ${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}: ${server.maxConnections} connections already open`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.options.log(`listener: ${e.message}`));
    this.server = server;
    return server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connection(socket: Socket): void {
    this.sockets.add(socket);
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const reader = new RequestReader();
    let queue: Promise<void> = Promise.resolve();
    let pending = 0;
    socket.setTimeout(this.options.idleTimeoutMs ?? 600_000, () => socket.end());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const request of reader.push(chunk)) {
        // Postfix waits for each answer; a client that sends far ahead is not Postfix.
        if (++pending > 64) {
          this.options.log(`${peer}: more than 64 requests without reading the answers: connection closed`);
          socket.destroy();
          return;
        }
        queue = queue
          .then(async () => {
            const decision: Decision = request.ok ? await this.decide(request.attributes).catch((e: unknown) => ({ action: TEMPORARY, reason: `internal error: ${describeFailure(e)}` })) : { action: TEMPORARY, reason: `malformed request: ${request.reason}` };
            if (!request.ok || decision.action === TEMPORARY) this.options.log(`${peer}: ${decision.reason}: action=${decision.action}`);
            else if (this.options.verbose) this.options.log(`${peer}: ${decision.reason}: action=${decision.action}`);
            if (!socket.destroyed) socket.write(answer(decision.action));
          })
          .finally(() => {
            pending--;
          });
      }
    });
  }

  /** The policy session of a Postfix SMTP session (its `instance`), opened on the configuration in force now. */
  private session(a: Attributes, objects: ConfigObjects): PolicySession {
    const instance = a.get('instance') ?? '';
    const known = instance === '' ? undefined : this.sessions.get(instance);
    if (known) return known;
    this.objects = objects;
    const session = this.policy.session(attributesToConnection(a, this.options.listeners));
    if (instance !== '') {
      this.sessions.set(instance, session);
      if (this.sessions.size > 4096) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return session;
  }

  /** The action for one request. Never rejects for a failed expression: that is a temporary answer. */
  async decide(a: Attributes): Promise<Decision> {
    const objects = await this.options.source.current();
    if (objects === null) return { action: TEMPORARY, reason: `no configuration from ${this.options.source.description} yet` };
    const stage = (a.get('protocol_state') ?? '').toUpperCase();
    const user = a.get('sasl_username') ?? '';
    const sender = a.get('sender') ?? '';
    const rcpt = a.get('recipient') ?? '';
    const tls = (a.get('encryption_protocol') ?? '') !== '';
    const what = `${stage || '?'} ${sender ? `<${sender}>` : '<>'}${rcpt ? ` → <${rcpt}>` : ''}${user ? ` (sasl ${user})` : ''}`;
    try {
      const session = this.session(a, objects);
      const ehlo = await session.ehlo(a.get('helo_name') ?? '', tls);
      if (user === '') {
        if (ehlo.authRequired && AFTER_MAIL.has(stage)) return { action: reply(REPLIES.authRequired), reason: `${what}: require` };
      } else {
        const method = (a.get('sasl_method') ?? '').toUpperCase();
        if (method !== '' && !ehlo.mechanisms.includes(method)) return { action: reply(REPLIES.mechanismRefused), reason: `${what}: ${method} is not in saslMechanisms here` };
        if (AFTER_MAIL.has(stage)) {
          const { mustMatchSender } = await session.mail(sender, user, tls);
          if (mustMatchSender && !senderMatches(sender, user, this.options.senderLogins?.get(user.toLowerCase()))) return { action: reply(REPLIES.senderMismatch), reason: `${what}: mustMatchSender` };
        }
      }
      const { values } = await session.rcpt({ helo: a.get('helo_name') ?? '', sender, authenticatedAs: user, rcpt, recipients: rcpt ? [rcpt] : [], isTls: tls });
      const rule = values[RULE.object]?.[RULE.field];
      if (typeof rule === 'string') {
        if (!isPostfixAction(rule)) {
          return { action: TEMPORARY, reason: `${what}: ${RULE.object}.${RULE.field} gave ${JSON.stringify(rule)}, which is not a Postfix action` };
        }
        return { action: rule, reason: `${what}: ${RULE.object}.${RULE.field}` };
      }
      return { action: 'DUNNO', reason: what };
    } catch (e) {
      return { action: TEMPORARY, reason: `${what}: ${describeFailure(e)}` };
    }
  }
}
