/**
 * A simulated SMTP session: the real server (PolicySmtpServer, its smtp-server connection
 * subclass, the session policy) serving a client over an in-memory connection instead of
 * TCP, so a simulation answers every command exactly as `mta-expr smtp` would — the same
 * replies, the same AUTH failure counting, the same checks of the sender — and shows, under
 * each reply, every field the command made the policy evaluate.
 *
 * Three things differ, none visible in a reply: the server's pause for clients that talk
 * before the greeting is skipped (this client never does), each field is evaluated step by
 * step (`ConfigObject.explain`: the same value, with its conditions and branch), and the
 * wait after a failed AUTH is noted instead of waited. STARTTLS is a real TLS handshake in
 * memory.
 */
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Environment } from '../../language/index.js';
import type { ConfigObjects } from '../config/live.js';
import type { FieldTrace } from '../config/object.js';
import { defaultListener } from './listeners.js';
import { SessionPolicy, type PolicySession, type StageName } from './policy.js';
import { discardDelivery } from './delivery.js';
import { PolicySmtpServer, type SmtpUser } from './server.js';

/** A reply as the server sent it: its code and its lines (`250-mx.example.org …`, `250 STARTTLS`). */
export interface SmtpReply {
  code: number;
  lines: string[];
}

/** A field a command made the policy evaluate. */
export interface StageField {
  stage: StageName;
  trace: FieldTrace;
}

/** One command and what came of it. */
export interface Exchange {
  /** The line sent (AUTH credentials hidden), or null for the greeting. */
  command: string | null;
  /** The reply; null for a line of a message (DATA), which gets none. */
  reply: SmtpReply | null;
  /** The fields the command made the policy evaluate, in order. */
  fields: StageField[];
  /** Milliseconds the server waited before replying (`waitOnFail` after a failed AUTH). */
  waited: number;
  /** The server closed the connection after this reply. */
  closed: boolean;
}

/** The connection a simulated client makes. */
export interface SimulatedConnection {
  remote_ip: string;
  remote_port?: number;
  local_ip?: string;
  /** The port the expressions see (25, 587, …). */
  local_port: number;
  /** The listener's name (default: from the port, as `mta-expr policyd` names them: 587 submission, 465 submissions, else smtp). */
  listener?: string;
  /** TLS from the start (implicit TLS, as on port 465). */
  tls?: boolean;
}

export interface SimulatorOptions {
  /** The configuration, asked for at the start of each session. */
  objects: () => ConfigObjects;
  /** The users AUTH is checked against. */
  users?: SmtpUser[];
  /** The policy's environment (system values, lookups): the server's. */
  env?: Environment;
  /** The certificate STARTTLS presents. */
  tls: { key: string; cert: string };
}

/**
 * One end of an in-memory connection: what it writes, the other end reads, on the next
 * tick as from a socket (delivered within the writer's call, a TLS handshake on both ends
 * would re-enter itself and stall).
 */
class MemoryEnd extends Duplex {
  peer: MemoryEnd | null = null;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    process.nextTick(() => peer?.push(chunk));
    callback();
  }

  override _read(): void {
    // data is pushed by the peer
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    process.nextTick(() => peer?.push(null));
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = null;
    process.nextTick(() => {
      if (peer && !peer.destroyed && !peer.readableEnded) peer.push(null);
    });
    callback(error);
  }

  /** The server's idle timeout: a simulated client is never idle too long. */
  setTimeout(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  /** As a net.Socket says it: smtp-server writes only to an open socket. */
  get readyState(): string {
    if (this.destroyed) return 'closed';
    return this.writable ? (this.readable ? 'open' : 'writeOnly') : this.readable ? 'readOnly' : 'closed';
  }
}

/** Two connected ends. */
function memoryPair(): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** What the policy reported for a session not yet claimed by its simulated session (the connect stage runs before the connection exists). */
interface Pending {
  fields: StageField[];
  waited: number;
}

/** How long a reply may take before the simulation gives up (the server waits are not waited). */
const REPLY_TIMEOUT_MS = 10_000;

/** Serves simulated sessions with the real SMTP server. */
export class Simulator {
  private readonly policy: SessionPolicy;
  private readonly servers = new Map<string, PolicySmtpServer>();
  private readonly pending = new Map<PolicySession, Pending>();

  constructor(private readonly options: SimulatorOptions) {
    const note = (session: PolicySession): Pending => {
      let p = this.pending.get(session);
      if (p === undefined) {
        p = { fields: [], waited: 0 };
        this.pending.set(session, p);
      }
      return p;
    };
    this.policy = new SessionPolicy(options.objects, {
      env: options.env ?? {},
      onField: (trace, stage, session) => note(session).fields.push({ stage, trace }),
    });
    this.wait = (ms, session) => {
      note(session).waited += ms;
      return Promise.resolve();
    };
  }

  private readonly wait: (ms: number, session: PolicySession) => Promise<void>;

  /** The fields and waits reported for a session since the last call. */
  take(session: PolicySession): Pending {
    const p = this.pending.get(session) ?? { fields: [], waited: 0 };
    this.pending.set(session, { fields: [], waited: 0 });
    return p;
  }

  /** Forgets a session that ended. */
  forget(session: PolicySession): void {
    this.pending.delete(session);
  }

  private serverFor(name: string, port: number): PolicySmtpServer {
    const key = `${name}:${port}`;
    let server = this.servers.get(key);
    if (server === undefined) {
      server = new PolicySmtpServer({
        policy: this.policy,
        tls: this.options.tls,
        users: this.options.users ?? [],
        listeners: [{ name, port: 0, presentPort: port }],
        // A simulated message goes nowhere (the replies are what a simulation shows), and the
        // sessions of one run (test cases) neither count against each other nor ban their address.
        delivery: discardDelivery,
        limits: { maxConnections: 0, maxConnectionsPerIp: 0, authBanThreshold: 0 },
        wait: this.wait,
      });
      this.servers.set(key, server);
    }
    return server;
  }

  /** Connects a simulated client; resolves with the session and its greeting. */
  async open(connection: SimulatedConnection): Promise<{ session: SimulatedSession; greeting: Exchange }> {
    const name = connection.listener ?? defaultListener(connection.local_port).name;
    const server = this.serverFor(name, connection.local_port);
    const [client, served] = memoryPair();
    served.remoteAddress = client.localAddress = connection.remote_ip;
    served.remotePort = client.localPort = connection.remote_port ?? 40000;
    served.localAddress = client.remoteAddress = connection.local_ip ?? '127.0.0.1';
    served.localPort = client.remotePort = connection.local_port;
    const session = new SimulatedSession(this, client);
    const greeting = session.expectReply(null);
    const served_ = await server.serve(name, served, { secure: connection.tls === true, ready: 'now' });
    if (served_ === null) {
      client.destroy();
      throw new Error('the connect stage failed: the server refuses the connection (421) without evaluating a greeting');
    }
    session.attach(served_.policy.session);
    return { session, greeting: await greeting };
  }
}

/** A simulated client's session: send a line, get what the server did. */
export class SimulatedSession {
  private socket: Duplex;
  private policySession: PolicySession | null = null;
  private buffer = '';
  private lines: string[] = [];
  private waiter: { resolve: (r: SmtpReply | null) => void; timer: NodeJS.Timeout } | null = null;
  private ended = false;
  private inData = false;
  private authPending = false;

  constructor(
    private readonly simulator: Simulator,
    private readonly raw: MemoryEnd,
  ) {
    this.socket = raw;
    this.listen(raw);
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.ended;
  }

  /** Whether the session is inside a message (after 354, until the line `.`). */
  get inMessage(): boolean {
    return this.inData;
  }

  /** @internal */
  attach(session: PolicySession): void {
    this.policySession = session;
  }

  private listen(socket: Duplex): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('error', () => this.onEnd());
  }

  private onData(text: string): void {
    this.buffer += text;
    let i;
    while ((i = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      this.lines.push(line);
      if (/^\d{3}(?: |$)/.test(line)) this.complete();
    }
  }

  private complete(): void {
    const lines = this.lines;
    this.lines = [];
    const reply = { code: Number(lines[lines.length - 1]!.slice(0, 3)), lines };
    const w = this.waiter;
    this.waiter = null;
    if (w) {
      clearTimeout(w.timer);
      w.resolve(reply);
    }
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiter;
    this.waiter = null;
    if (w) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
  }

  /** @internal Waits for the next reply and gathers what the policy reported meanwhile. */
  async expectReply(command: string | null): Promise<Exchange> {
    const reply = this.ended
      ? null
      : await new Promise<SmtpReply | null>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.waiter = null;
            reject(new Error(`the server did not answer ${command ?? 'the connection'} within ${REPLY_TIMEOUT_MS / 1000} s`));
          }, REPLY_TIMEOUT_MS);
          this.waiter = { resolve, timer };
        });
    // The close that follows a 421 or a 221 arrives after the reply: let it.
    if (reply !== null && (reply.code === 421 || reply.code === 221)) await new Promise((r) => setImmediate(r));
    const noted = this.policySession ? this.simulator.take(this.policySession) : { fields: [], waited: 0 };
    return { command, reply, fields: noted.fields, waited: noted.waited, closed: this.ended };
  }

  /**
   * Sends one line (without CRLF) and resolves with what the server did. Inside a message
   * (after 354) a line gets no reply until the line `.`. After a 220 to STARTTLS, the TLS
   * handshake is made before the next command.
   */
  async send(line: string): Promise<Exchange> {
    if (/[\r\n]/.test(line)) throw new Error('a line cannot contain CR or LF');
    if (this.ended) return { command: hideCredentials(line, this.authPending), reply: null, fields: [], waited: 0, closed: true };
    const shown = hideCredentials(line, this.authPending);
    if (this.inData) {
      this.socket.write(line + '\r\n');
      if (line !== '.') return { command: line, reply: null, fields: [], waited: 0, closed: false };
      this.inData = false;
      return this.expectReply(shown);
    }
    const pending = this.expectReply(shown);
    this.socket.write(line + '\r\n');
    const exchange = await pending;
    const verb = line.trim().split(/\s+/)[0]!.toUpperCase();
    this.authPending = exchange.reply?.code === 334;
    if (exchange.reply?.code === 354) this.inData = true;
    if (verb === 'STARTTLS' && exchange.reply?.code === 220 && !this.ended) await this.startTls();
    return exchange;
  }

  /** The client side of the TLS handshake, over the in-memory connection. */
  private async startTls(): Promise<void> {
    this.raw.removeAllListeners('data');
    this.raw.removeAllListeners('end');
    this.raw.removeAllListeners('close');
    this.raw.removeAllListeners('error');
    const secure: TLSSocket = tlsConnect({ socket: this.raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  /** Closes the client's side. */
  close(): void {
    if (this.policySession) this.simulator.forget(this.policySession);
    this.socket.destroy();
    this.raw.destroy();
  }
}

/** The line as shown: AUTH's initial response and the lines of an AUTH exchange are credentials. */
export function hideCredentials(line: string, inAuthExchange: boolean): string {
  if (inAuthExchange) return line.trim() === '*' ? '*' : '…';
  const m = /^(\s*AUTH\s+\S+)\s+\S/i.exec(line);
  return m ? `${m[1]} …` : line;
}
