/**
 * A real SMTP server (the `smtp-server` package) that applies the session policy per
 * connection: the exact 220 greeting, the SASL mechanisms advertised in EHLO (again after
 * STARTTLS), AUTH required or not, a wait after each failed AUTH and a 421 after too many,
 * and the MAIL FROM sender checked against the authenticated user.
 *
 * smtp-server reads its options (authMethods, authOptional, name) from the server object
 * of each connection; every connection here gets its own view of the server whose options
 * inherit from the listener's, so the policy can set them per session. A small connection
 * subclass sends the greeting, evaluates the EHLO stage and adds OAUTHBEARER (RFC 7628).
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse, type SMTPServerSession } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { ConnectAnswers, EhloAnswers, PolicySession, SessionPolicy } from '../config/policy.js';

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
}

interface PolicyState {
  session: PolicySession;
  ehlo: EhloAnswers | undefined;
  failures: number;
  listener: string;
}

const plainAddress = (a: string | undefined): string => (a && a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : (a ?? ''));

function authError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** The connection subclass: greeting, EHLO stage, OAUTHBEARER. */
class PolicyConnection extends SMTPConnection {
  readonly policy: PolicyState;
  private readonly connectAnswers: ConnectAnswers;

  constructor(server: SMTPServer, socket: Socket, state: PolicyState, answers: ConnectAnswers) {
    super(server, socket);
    this.policy = state;
    this.connectAnswers = answers;
  }

  override _sendGreeting(): void {
    this.send(220, this.connectAnswers.greeting, false);
  }

  /** Evaluates the EHLO stage (TLS state included) before smtp-server answers. */
  private withEhloStage(command: Buffer, callback: () => void, then: () => void): void {
    const helo = command.toString().trim().split(/\s+/)[1] ?? '';
    this.policy.session.ehlo(helo, this.secure).then(
      (answers) => {
        this.policy.ehlo = answers;
        const options = this._server.options;
        options.authMethods = answers.mechanisms;
        options.authOptional = !answers.authRequired;
        then();
      },
      () => {
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

/** One SMTP server per listener, sharing the policy, the users and TLS. */
export class PolicySmtpServer {
  private readonly servers: Array<{ listener: SmtpListener; server: SMTPServer; bound: number }> = [];
  private readonly users: Map<string, SmtpUser>;
  private readonly states = new Map<string, PolicyConnection>();
  readonly messages: ReceivedMessage[] = [];

  constructor(private readonly options: PolicySmtpServerOptions) {
    this.users = new Map((options.users ?? []).map((u) => [u.username.toLowerCase(), u]));
  }

  /** Binds every listener; resolves with the bound ports by listener name. */
  async start(): Promise<Record<string, number>> {
    for (const listener of this.options.listeners) {
      const server = this.createServer(listener);
      const bound = await new Promise<number>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(listener.port, this.options.host ?? '127.0.0.1', () => {
          server.server.off('error', reject);
          resolve((server.server.address() as { port: number }).port);
        });
      });
      this.servers.push({ listener, server, bound });
    }
    return Object.fromEntries(this.servers.map((s) => [s.listener.name, s.bound]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    this.servers.length = 0;
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
    // Every connection gets a view of the server with options of its own (see the top).
    server.connect = function connect(socket) {
      const view = Object.create(server) as SMTPServer;
      view.options = Object.create(server.options) as SMTPServer['options'];
      const session = options.policy.session({
        listener: listener.name,
        remote_ip: plainAddress(socket.remoteAddress),
        remote_port: socket.remotePort ?? 0,
        local_ip: plainAddress(socket.localAddress),
        local_port: listener.presentPort ?? socket.localPort ?? 0,
        is_tls: false,
      });
      session.connect().then(
        (answers) => {
          if (socket.destroyed) return;
          view.options.name = answers.hostname;
          const state: PolicyState = { session, ehlo: undefined, failures: 0, listener: listener.name };
          const connection = new PolicyConnection(view, socket as Socket, state, answers);
          server.connections.add(connection);
          owner.states.set(connection.id, connection);
          connection.on('error', () => undefined);
          connection.once('close', () => owner.states.delete(connection.id));
          connection.init();
        },
        () => socket.destroy(),
      );
    };
    return server;
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
    const limits = state.ehlo ?? { maxFailures: 3, waitOnFail: 5000 };
    if (state.failures >= limits.maxFailures) {
      callback(authError('4.7.0 Too many authentication errors, closing connection', 421));
      setImmediate(() => connection.close());
      return;
    }
    setTimeout(() => callback(null, { message: '5.7.8 Authentication credentials invalid' }), limits.waitOnFail).unref();
  }

  private onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const connection = this.states.get(session.id);
    const username = session.user as string | undefined;
    if (!connection || !username) return callback();
    const sender = address.address ?? '';
    connection.policy.session.mail(sender, username, session.secure).then(
      ({ mustMatchSender }) => {
        if (!mustMatchSender) return callback();
        const user = this.findUser(username);
        const allowed = [username, ...(user?.addresses ?? [])].map((a) => a.toLowerCase());
        if (allowed.includes(sender.toLowerCase())) return callback();
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
