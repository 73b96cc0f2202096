/**
 * A real SMTP server (the `smtp-server` package) that applies the session policy per
 * connection: the exact 220 greeting, the SASL mechanisms advertised in EHLO (again after
 * STARTTLS), AUTH required or not, a wait after each failed AUTH and a 421 after too many,
 * and the MAIL FROM sender checked against the authenticated user.
 *
 * smtp-server reads its options (authMethods, authOptional, name) from the server object
 * of each connection; every connection here gets its own view of the server whose options
 * inherit from the listener's, so the policy can set them per session. The connection
 * subclass (connection.ts) sends the greeting, evaluates the EHLO stage and adds OAUTHBEARER.
 *
 * What a client can make the server hold is bounded (limits.ts): connections in total and
 * per address (refused before any expression runs), the EHLO argument, messages per session,
 * recipients per message, the message size (SIZE, enforced while the message is read: it
 * streams to its delivery, delivery.ts, and is never kept), the time a stage may take, and
 * failed authentications, counted per address and per login across connections, with a
 * temporary ban. What happens is told to `onEvent`, one event a line for the host's log.
 */
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { createSecureContext } from 'node:tls';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse, type SMTPServerSession } from 'smtp-server';
import { authError, plainAddress, PolicyConnection, TEMPORARY_LOOKUP_FAILURE, withStageTimeout, type PolicyState } from './connection.js';
import { DeliveryError, hookDelivery, limitedMessage, MessageTooBig, refuseDelivery, type Delivery, type Envelope, type ReceivedMessage } from './delivery.js';
import { ConnectionCounter, DEFAULT_SMTP_LIMITS, FailureBans, type SmtpLimits } from './limits.js';
import { DEFAULT_AUTH_LIMITS, senderMatches, type PolicySession, type SessionPolicy } from './policy.js';

export type { ReceivedMessage } from './delivery.js';

export interface SmtpUser {
  username: string;
  password: string;
  /** Addresses the user may send as (besides the username when it is an address). */
  addresses?: string[];
  /** Bearer tokens accepted for OAUTHBEARER and XOAUTH2. */
  tokens?: string[];
}

export interface SmtpListener {
  /** The listener's name, seen by expressions as `listener` (`smtp`, `submission`). */
  name: string;
  /** Port to bind (0: any free port). */
  port: number;
  /** Port the expressions see as `local_port`; default: the bound port. */
  presentPort?: number;
}

/** Something the server did that an operator wants in the log: one event, one line. */
export interface SmtpEvent {
  /** `message`, `message-refused`, `auth-failed`, `auth-ban`, `connection-refused`, `helo-refused`. */
  event: string;
  /** The line of the text log, without its `smtp: ` prefix. */
  message: string;
  level: 'info' | 'warn';
  /** The client's address (every authentication failure has one). */
  remote_ip?: string;
  [field: string]: string | number | boolean | string[] | undefined;
}

export interface PolicySmtpServerOptions {
  policy: SessionPolicy;
  listeners: SmtpListener[];
  /** Address to bind (default loopback). */
  host?: string;
  users?: SmtpUser[];
  /** PEM key and certificate for STARTTLS. */
  tls: { key: string; cert: string };
  /**
   * Where accepted messages go (delivery.ts); 250 is answered once it has taken the message.
   * Default: `onMessage` when given, otherwise none: DATA is answered 451.
   */
  delivery?: Delivery;
  /** Receives every accepted message in full before the 250 (a rejection answers 451). */
  onMessage?: (message: ReceivedMessage) => void | Promise<void>;
  /** The limits (limits.ts); each one absent has its default. */
  limits?: Partial<SmtpLimits>;
  /** Receives what the server did, for the log. */
  onEvent?: (event: SmtpEvent) => void;
  /** Log connection events to stderr. */
  verbose?: boolean;
  /** Receives errors of the listening sockets after they are bound. */
  onError?: (error: Error) => void;
  /** How long `stop` lets open sessions finish before they get 421 and are closed, in ms (default 5 s). */
  closeTimeout?: number;
  /**
   * Waits `waitOnFail` after a failed AUTH before answering (default: a timer). A
   * simulation notes the wait and goes on at once.
   */
  wait?: (ms: number, session: PolicySession) => Promise<void>;
}

/** A socket the server can serve besides a TCP one (a simulation's in-memory stream): a stream with the addresses of its two ends. */
export type ServedSocket = Duplex & Pick<Socket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>;

const timer = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

const BEARER = new Set(['OAUTHBEARER', 'XOAUTH2']);

/** One SMTP server per listener, sharing the policy, the users, TLS, the limits and the bans. */
export class PolicySmtpServer {
  private readonly servers: Array<{ listener: SmtpListener; server: SMTPServer; bound: number }> = [];
  private readonly byListener = new Map<string, SMTPServer>();
  private users: Map<string, SmtpUser>;
  private tls: { key: string; cert: string };
  private readonly states = new Map<string, PolicyConnection>();
  readonly limits: Readonly<SmtpLimits>;
  private readonly delivery: Delivery;
  private readonly perAddress = new ConnectionCounter();
  private readonly bans: FailureBans;
  private connections = 0;

  constructor(private readonly options: PolicySmtpServerOptions) {
    this.users = PolicySmtpServer.userMap(options.users);
    this.tls = options.tls;
    this.limits = Object.freeze({ ...DEFAULT_SMTP_LIMITS, ...options.limits });
    this.delivery = options.delivery ?? (options.onMessage ? hookDelivery(options.onMessage) : refuseDelivery);
    this.bans = new FailureBans(this.limits);
  }

  private static userMap(users: readonly SmtpUser[] = []): Map<string, SmtpUser> {
    return new Map(users.map((u) => [u.username.toLowerCase(), u]));
  }

  /** What accepted messages become, for the start line. */
  get deliveryDescription(): string {
    return this.delivery.description;
  }

  /** Binds every listener; resolves with the bound ports by listener name. */
  async start(): Promise<Record<string, number>> {
    for (const listener of this.options.listeners) {
      const server = this.serverFor(listener);
      // smtp-server re-emits its listening socket's errors on itself: unhandled, they would end the process.
      const bound = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener.port, this.options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve((server.server.address() as { port: number }).port);
        });
      });
      server.on('error', (e: Error) => this.options.onError?.(e));
      this.servers.push({ listener, server, bound });
    }
    return Object.fromEntries(this.servers.map((s) => [s.listener.name, s.bound]));
  }

  /** Stops accepting, lets open sessions finish for `closeTimeout` (then 421 and close), and closes the delivery. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    this.servers.length = 0;
    await this.delivery.close?.();
  }

  /**
   * Puts a new configuration file's users and certificate in force: the next AUTH and the
   * next STARTTLS use them (open sessions keep the TLS they have). Throws, changing nothing,
   * when the key or certificate cannot be used.
   */
  reload(update: { users?: readonly SmtpUser[]; tls?: { key: string; cert: string } }): void {
    // A key or certificate that does not load throws here, before anything is changed.
    if (update.tls !== undefined) createSecureContext({ key: update.tls.key, cert: update.tls.cert });
    if (update.tls !== undefined) {
      for (const server of this.byListener.values()) server.updateSecureContext({ key: update.tls.key, cert: update.tls.cert });
      this.tls = update.tls;
    }
    if (update.users !== undefined) this.users = PolicySmtpServer.userMap(update.users);
  }

  /** The SMTP server of a listener, made once. */
  private serverFor(listener: SmtpListener): SMTPServer {
    let server = this.byListener.get(listener.name);
    if (server === undefined) {
      server = this.createServer(listener);
      this.byListener.set(listener.name, server);
    }
    return server;
  }

  private createServer(listener: SmtpListener): SMTPServer {
    const owner = this;
    const options = this.options;
    const limits = this.limits;
    const server = new SMTPServer({
      key: this.tls.key,
      cert: this.tls.cert,
      authMethods: [],
      authOptional: true,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: options.verbose ?? false,
      size: limits.maxMessageSize,
      rejectOversized: true,
      maxClients: limits.maxConnections,
      maxRecipients: limits.maxRecipients,
      socketTimeout: limits.idleTimeout,
      closeTimeout: options.closeTimeout ?? 5000,
      onAuth: (auth, session, callback) => owner.onAuth(auth, session, callback),
      onMailFrom: (address, session, callback) => owner.onMailFrom(address, session, callback),
      onData: (stream, session, callback) => owner.onData(listener, stream, session, callback),
    } as ConstructorParameters<typeof SMTPServer>[0]);
    server.connect = function connect(socket) {
      void owner.open(server, listener, socket as Socket);
    };
    return server;
  }

  /**
   * Serves a connection on a socket held by the caller (a simulation's in-memory stream),
   * exactly as a client of `listener` is served; `secure`: the connection is TLS from its
   * start. Resolves with the connection once it is greeted, or null when the connect stage
   * failed (the socket is then destroyed, as a TCP client's would be).
   */
  serve(listenerName: string, socket: ServedSocket, options: { secure?: boolean; ready?: 'now' } = {}): Promise<PolicyConnection | null> {
    const listener = this.options.listeners.find((l) => l.name === listenerName);
    if (listener === undefined) throw new Error(`no listener ${listenerName}`);
    return this.open(this.serverFor(listener), listener, socket as unknown as Socket, options);
  }

  private event(event: SmtpEvent): void {
    this.options.onEvent?.(event);
  }

  /** Refuses a connection before anything is evaluated for it: one reply, then the socket is closed. */
  private refuse(socket: Socket, reply: string): null {
    socket.end(`${reply}\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
    return null;
  }

  /** Every connection gets a view of the server with options of its own (see the top). */
  private async open(server: SMTPServer, listener: SmtpListener, socket: Socket, options: { secure?: boolean; ready?: 'now' } = {}): Promise<PolicyConnection | null> {
    // A reset while the connect stage is evaluated must not reach the process as an unhandled 'error'.
    socket.on('error', () => undefined);
    const remoteIp = plainAddress(socket.remoteAddress);
    if (this.bans.bannedUntil(remoteIp) > 0) return this.refuse(socket, '421 4.7.0 Too many failed authentications from your address, try again later');
    if (this.limits.maxConnections > 0 && this.connections >= this.limits.maxConnections) {
      this.event({ event: 'connection-refused', level: 'warn', message: `too many connections (${this.connections}): refused ${remoteIp}`, remote_ip: remoteIp, reason: 'total' });
      return this.refuse(socket, '421 4.7.0 Too many connections, try again later');
    }
    if (!this.perAddress.enter(remoteIp, this.limits.maxConnectionsPerIp)) {
      this.event({ event: 'connection-refused', level: 'warn', message: `too many connections from ${remoteIp} (${this.perAddress.count(remoteIp)}): refused`, remote_ip: remoteIp, reason: 'per-address' });
      return this.refuse(socket, '421 4.7.0 Too many connections from your address, try again later');
    }
    this.connections++;
    socket.once('close', () => {
      this.connections--;
      this.perAddress.leave(remoteIp);
    });
    const view = Object.create(server) as SMTPServer;
    view.options = Object.create(server.options) as SMTPServer['options'];
    if (options.secure) view.options.secure = true;
    const session = this.options.policy.session({
      listener: listener.name,
      remote_ip: remoteIp,
      remote_port: socket.remotePort ?? 0,
      local_ip: plainAddress(socket.localAddress),
      local_port: listener.presentPort ?? socket.localPort ?? 0,
      is_tls: options.secure === true,
    });
    let answers;
    try {
      answers = await withStageTimeout(session.connect(), this.limits.stageTimeout);
    } catch {
      // No greeting can be built (a strict policy's field failed, or the stage took too long): a temporary refusal.
      if (!socket.destroyed) return this.refuse(socket, `421 4.3.0 ${TEMPORARY_LOOKUP_FAILURE}`);
      return null;
    }
    if (socket.destroyed) return null;
    view.options.name = answers.hostname;
    const state: PolicyState = { session, ehlo: undefined, failures: 0, listener: listener.name, limits: this.limits };
    const connection = new PolicyConnection(view, socket, state, answers);
    server.connections.add(connection);
    this.states.set(connection.id, connection);
    connection.on('error', () => undefined);
    connection.once('close', () => this.states.delete(connection.id));
    if (options.ready === 'now') connection.initNow();
    else connection.init();
    return connection;
  }

  private findUser(username: string): SmtpUser | undefined {
    return this.users.get(username.toLowerCase());
  }

  private onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void {
    const connection = this.states.get(session.id);
    const remoteIp = plainAddress(session.remoteAddress);
    const login = (auth.username ?? '').toLowerCase();
    const method = String(auth.method).toUpperCase();
    const close = (reply: string): void => {
      callback(authError(reply, 421));
      if (connection) setImmediate(() => connection.close());
    };
    if (this.bans.bannedUntil(remoteIp) > 0) return close('4.7.0 Too many failed authentications from your address, try again later');
    if (this.limits.bearerNeedsTls && BEARER.has(method) && !session.secure) return callback(authError('5.7.11 Bearer tokens are accepted over TLS only', 538));
    if (login !== '' && this.bans.bannedUntil(`login:${login}`) > 0) return callback(authError('4.7.0 Too many failed authentications for this login, try again later', 454));
    const user = this.findUser(login);
    const token = (auth as { accessToken?: string }).accessToken;
    const ok = user !== undefined && (BEARER.has(method) ? token !== undefined && (user.tokens ?? []).includes(token) : auth.password === user.password);
    if (ok) return callback(null, { user: user!.username });
    const listener = connection?.policy.listener ?? '';
    this.event({ event: 'auth-failed', level: 'warn', message: `authentication failed for ${JSON.stringify(auth.username ?? '')} (${method}) from ${remoteIp} on ${listener}`, remote_ip: remoteIp, login: auth.username ?? '', mechanism: method, listener });
    const byAddress = this.bans.fail(remoteIp);
    const byLogin = login === '' ? { banned: false, failures: 0 } : this.bans.fail(`login:${login}`);
    const days = (ms: number): string => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${Math.round(ms / 1000)}s`);
    if (byAddress.banned) {
      this.event({ event: 'auth-ban', level: 'warn', message: `banned ${remoteIp} for ${days(this.limits.authBanDuration)}: ${byAddress.failures} failed authentications`, remote_ip: remoteIp, failures: byAddress.failures });
      return close('4.7.0 Too many failed authentications from your address, try again later');
    }
    if (byLogin.banned) this.event({ event: 'auth-ban', level: 'warn', message: `banned the login ${JSON.stringify(auth.username ?? '')} for ${days(this.limits.authBanDuration)}: ${byLogin.failures} failed authentications, the last from ${remoteIp}`, remote_ip: remoteIp, login: auth.username ?? '', failures: byLogin.failures });
    if (!connection) return callback(null, { message: 'Error: Authentication credentials invalid' });
    const state = connection.policy;
    state.failures++;
    const limits = state.ehlo ?? DEFAULT_AUTH_LIMITS;
    if (state.failures >= limits.maxFailures) return close('4.7.0 Too many authentication errors, closing connection');
    void (this.options.wait ?? timer)(limits.waitOnFail, state.session).then(() => callback(null, { message: '5.7.8 Authentication credentials invalid' }));
  }

  private onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const max = this.limits.maxMessagesPerSession;
    if (max > 0 && session.transaction > max) return callback(authError(`4.4.5 Too many messages in one session (${max}): send the others in a new one`, 452));
    const connection = this.states.get(session.id);
    const username = session.user as string | undefined;
    if (!connection || !username) return callback();
    const sender = address.address ?? '';
    withStageTimeout(connection.policy.session.mail(sender, username, session.secure), this.limits.stageTimeout).then(
      ({ mustMatchSender, lookupFailures }) => {
        if (lookupFailures.length > 0) return callback(authError(TEMPORARY_LOOKUP_FAILURE, 451));
        if (!mustMatchSender) return callback();
        if (senderMatches(sender, username, this.findUser(username)?.addresses)) return callback();
        callback(authError('5.7.1 Sender address does not match the authenticated user', 550));
      },
      () => callback(authError('4.3.0 Temporary policy failure', 451)),
    );
  }

  private onData(listener: SmtpListener, stream: Readable, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    const envelope: Envelope = {
      listener: listener.name,
      remoteIp: plainAddress(session.remoteAddress),
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      to: session.envelope.rcptTo.map((r) => r.address),
      user: session.user as string | undefined,
    };
    const limit = this.limits.maxMessageSize;
    const data = limitedMessage(stream as Readable & { sizeExceeded?: boolean }, limit);
    // A message over the limit is refused at once, whether or not the delivery noticed (an upstream may wait for the rest).
    const tooBig = new Promise<never>((_, reject) => data.once('error', (e) => e instanceof MessageTooBig && reject(e)));
    Promise.race([this.delivery.deliver(envelope, data), tooBig]).then(
      (reply) => {
        const size = (stream as { byteLength?: number }).byteLength ?? 0;
        this.event({
          event: 'message',
          level: 'info',
          message: `message via ${envelope.listener} from <${envelope.from}> to ${envelope.to.map((t) => `<${t}>`).join(', ')}${envelope.user ? ` (user ${envelope.user})` : ''}: ${size} bytes, ${reply.replace(/^2\.0\.0 /, '')}`,
          remote_ip: envelope.remoteIp,
          from: envelope.from,
          to: envelope.to,
          size,
          listener: envelope.listener,
        });
        callback(null, reply);
      },
      (e: unknown) => {
        const err = e instanceof DeliveryError ? e : new DeliveryError('4.3.0 The message could not be taken, try again later');
        if (!(err instanceof MessageTooBig)) this.event({ event: 'message-refused', level: 'warn', message: `message from <${envelope.from}> via ${envelope.listener} (${envelope.remoteIp}) refused: ${err.message}`, remote_ip: envelope.remoteIp, reason: err.message });
        else this.event({ event: 'message-refused', level: 'warn', message: `message from <${envelope.from}> via ${envelope.listener} (${envelope.remoteIp}) over the size limit of ${limit} bytes`, remote_ip: envelope.remoteIp, reason: 'size' });
        callback(authError(err.message, err.responseCode));
      },
    );
  }
}
