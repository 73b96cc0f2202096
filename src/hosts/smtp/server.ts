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
 */
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse, type SMTPServerSession } from 'smtp-server';
import { authError, plainAddress, PolicyConnection, TEMPORARY_LOOKUP_FAILURE, type PolicyState } from './connection.js';
import { DEFAULT_AUTH_LIMITS, senderMatches, type PolicySession, type SessionPolicy } from './policy.js';

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

export interface ReceivedMessage {
  listener: string;
  from: string;
  to: string[];
  user: string | undefined;
  data: Buffer;
}

export interface PolicySmtpServerOptions {
  policy: SessionPolicy;
  listeners: SmtpListener[];
  /** Address to bind (default loopback). */
  host?: string;
  users?: SmtpUser[];
  /** PEM key and certificate for STARTTLS. */
  tls: { key: string; cert: string };
  /** Receives every accepted message. */
  onMessage?: (message: ReceivedMessage) => void;
  /** Log connection events to stderr. */
  verbose?: boolean;
  /** Receives errors of the listening sockets after they are bound. */
  onError?: (error: Error) => void;
  /**
   * Waits `waitOnFail` after a failed AUTH before answering (default: a timer). A
   * simulation notes the wait and goes on at once.
   */
  wait?: (ms: number, session: PolicySession) => Promise<void>;
}

/** A socket the server can serve besides a TCP one (a simulation's in-memory stream): a stream with the addresses of its two ends. */
export type ServedSocket = Duplex & Pick<Socket, 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort'>;

const timer = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** One SMTP server per listener, sharing the policy, the users and TLS. */
export class PolicySmtpServer {
  private readonly servers: Array<{ listener: SmtpListener; server: SMTPServer; bound: number }> = [];
  private readonly byListener = new Map<string, SMTPServer>();
  private readonly users: Map<string, SmtpUser>;
  private readonly states = new Map<string, PolicyConnection>();
  readonly messages: ReceivedMessage[] = [];

  constructor(private readonly options: PolicySmtpServerOptions) {
    this.users = new Map((options.users ?? []).map((u) => [u.username.toLowerCase(), u]));
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

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    this.servers.length = 0;
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
    const server = new SMTPServer({
      key: options.tls.key,
      cert: options.tls.cert,
      authMethods: [],
      authOptional: true,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: options.verbose ?? false,
      onAuth: (auth, session, callback) => owner.onAuth(auth, session, callback),
      onMailFrom: (address, session, callback) => owner.onMailFrom(address, session, callback),
      onData: (stream, session, callback) => owner.onData(listener, stream, session, callback),
    });
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

  /** Every connection gets a view of the server with options of its own (see the top). */
  private async open(server: SMTPServer, listener: SmtpListener, socket: Socket, options: { secure?: boolean; ready?: 'now' } = {}): Promise<PolicyConnection | null> {
    const view = Object.create(server) as SMTPServer;
    view.options = Object.create(server.options) as SMTPServer['options'];
    if (options.secure) view.options.secure = true;
    const session = this.options.policy.session({
      listener: listener.name,
      remote_ip: plainAddress(socket.remoteAddress),
      remote_port: socket.remotePort ?? 0,
      local_ip: plainAddress(socket.localAddress),
      local_port: listener.presentPort ?? socket.localPort ?? 0,
      is_tls: options.secure === true,
    });
    let answers;
    try {
      answers = await session.connect();
    } catch {
      socket.destroy();
      return null;
    }
    if (socket.destroyed) return null;
    view.options.name = answers.hostname;
    const state: PolicyState = { session, ehlo: undefined, failures: 0, listener: listener.name };
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
    const user = this.findUser(auth.username ?? '');
    const token = (auth as { accessToken?: string }).accessToken;
    const ok =
      user !== undefined &&
      (auth.method === 'XOAUTH2' || auth.method === ('OAUTHBEARER' as string) ? token !== undefined && (user.tokens ?? []).includes(token) : auth.password === user.password);
    if (ok) return callback(null, { user: user!.username });
    if (!connection) return callback(null, { message: 'Error: Authentication credentials invalid' });
    const state = connection.policy;
    state.failures++;
    const limits = state.ehlo ?? DEFAULT_AUTH_LIMITS;
    if (state.failures >= limits.maxFailures) {
      callback(authError('4.7.0 Too many authentication errors, closing connection', 421));
      setImmediate(() => connection.close());
      return;
    }
    void (this.options.wait ?? timer)(limits.waitOnFail, state.session).then(() => callback(null, { message: '5.7.8 Authentication credentials invalid' }));
  }

  private onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const connection = this.states.get(session.id);
    const username = session.user as string | undefined;
    if (!connection || !username) return callback();
    const sender = address.address ?? '';
    connection.policy.session.mail(sender, username, session.secure).then(
      ({ mustMatchSender, lookupFailures }) => {
        if (lookupFailures.length > 0) return callback(authError(TEMPORARY_LOOKUP_FAILURE, 451));
        if (!mustMatchSender) return callback();
        if (senderMatches(sender, username, this.findUser(username)?.addresses)) return callback();
        callback(authError('5.7.1 Sender address does not match the authenticated user', 550));
      },
      () => callback(authError('4.3.0 Temporary policy failure', 451)),
    );
  }

  private onData(listener: SmtpListener, stream: Readable, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const message: ReceivedMessage = {
        listener: listener.name,
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        to: session.envelope.rcptTo.map((r) => r.address),
        user: session.user as string | undefined,
        data: Buffer.concat(chunks),
      };
      this.messages.push(message);
      this.options.onMessage?.(message);
      callback();
    });
  }
}
