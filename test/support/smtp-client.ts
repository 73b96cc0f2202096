/** A raw SMTP client for tests: exact reply lines, timings, disconnects, STARTTLS. */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Reply {
  code: number;
  lines: string[];
  /** Milliseconds from the command to the reply. */
  ms: number;
}

export class SmtpClient {
  private socket: Socket | TLSSocket;
  private buffer = '';
  private waiting: Array<() => void> = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Connects to the port on loopback; `localAddress` (another 127.x.y.z) is the client's address the server sees. */
  static async open(port: number, localAddress?: string): Promise<SmtpClient> {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new SmtpClient(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  }

  /** Reads one complete reply (multi-line replies end with `NNN `). */
  async read(timeoutMs = 10_000): Promise<Reply> {
    const start = Date.now();
    for (;;) {
      const lines = this.buffer.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3} /.test(lines[i]!) || /^\d{3}$/.test(lines[i]!)) {
          const reply = lines.slice(0, i + 1);
          this.buffer = lines.slice(i + 1).join('\r\n');
          return { code: Number(reply[0]!.slice(0, 3)), lines: reply.map((l) => l.slice(4)), ms: Date.now() - start };
        }
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer)}`);
      if (Date.now() - start > timeoutMs) throw new Error(`no reply within ${timeoutMs} ms; unread: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a line and reads the reply; `ms` is the time to the reply. */
  async command(line: string): Promise<Reply> {
    const start = Date.now();
    this.socket.write(line + '\r\n');
    const reply = await this.read();
    return { ...reply, ms: Date.now() - start };
  }

  /** STARTTLS, then a TLS handshake on the same socket. */
  async startTls(): Promise<Reply> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buffer = '';
    this.listen(secure);
    return reply;
  }

  /** Waits until the server closes the connection. */
  async closedByServer(timeoutMs = 5000): Promise<boolean> {
    const start = Date.now();
    while (!this.closed && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends a TCP reset (RST) instead of closing: what a client that vanishes does. */
  reset(): void {
    (this.socket as Socket).resetAndDestroy();
  }

  /** Writes raw bytes (a message body) without waiting for a reply. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
