/**
 * Real servers and clients for the end-to-end tests: free loopback ports, swaks and
 * Python's smtplib as SMTP clients, and the built CLI run as a server (`policyd` here,
 * `serve` in serve.ts). Every process is stopped by its pid.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { CLI } from './cli.js';
import { ROOT } from './helpers.js';

/** A port free on loopback now (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on the port; rejects with `why()` after the deadline. */
export async function waitForPort(port: number, ms: number, why: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A long-running process whose output is kept, stopped by its pid. */
export class Running {
  out = '';
  err = '';
  exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Waits for a line of stdout matching the pattern; rejects if the process exits or the time runs out. */
  async waitFor(pattern: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const m = pattern.exec(this.out);
      if (m) return m;
      if (exited || Date.now() > deadline) throw new Error(`${exited ? 'exited' : 'timed out'} before printing ${pattern}:\nstdout: ${this.out}\nstderr: ${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the process (SIGTERM, SIGKILL after 5 s); resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Runs the built CLI as a server (serve, policyd). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  return new Running(spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export interface SmtpTranscript {
  /** The server's replies, in order, without swaks's arrows (`250 2.1.0 Ok`). */
  replies: string[];
  code: number | null;
  output: string;
}

/** One SMTP session with swaks (a real SMTP client); `args` are swaks's own. */
export function swaks(port: number, args: string[]): Promise<SmtpTranscript> {
  return new Promise((resolve) => {
    execFile('swaks', ['--server', `127.0.0.1:${port}`, '--ehlo', 'client.test', '--timeout', '10', ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const output = stdout + stderr;
      // swaks: `<-` a reply, `<~` a reply over TLS, `<**`/`<~*` an error reply.
      const replies = output
        .split('\n')
        .filter((l) => /^ *<(-|~|\*\*|~\*) /.test(l))
        .map((l) => l.replace(/^ *<(-|~|\*\*|~\*) +/, ''));
      resolve({ replies, code: error ? ((error as { code?: number }).code ?? 1) : 0, output });
    });
  });
}

/** The EHLO keywords of a swaks transcript's last EHLO answer (`AUTH PLAIN LOGIN`, `STARTTLS`, …). */
export function lastEhlo(t: SmtpTranscript): string[] {
  const start = t.replies.map((r, i) => (/^250-/.test(r) && (i === 0 || !/^250-/.test(t.replies[i - 1]!)) ? i : -1)).filter((i) => i >= 0).pop();
  if (start === undefined) return [];
  const lines: string[] = [];
  for (let i = start; i < t.replies.length && /^250[- ]/.test(t.replies[i]!); i++) {
    lines.push(t.replies[i]!.slice(4));
    if (t.replies[i]!.startsWith('250 ')) break;
  }
  return lines.slice(1);
}

/** Runs a Python script (smtplib) and returns its stdout lines. */
export function python(script: string, args: string[] = []): Promise<{ lines: string[]; err: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile('python3', ['-c', script, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ lines: stdout.split('\n').filter((l) => l !== ''), err: stderr, code: error ? ((error as { code?: number }).code ?? 1) : 0 });
    });
  });
}

/** smtplib: EHLO, STARTTLS (when `tls`), then AUTH PLAIN with each password; one line per attempt: `CODE TEXT MS`, or `closed`. */
export const AUTH_ATTEMPTS = `
import smtplib, ssl, sys, time, base64
port, tls, user = int(sys.argv[1]), sys.argv[2] == 'tls', sys.argv[3]
s = smtplib.SMTP('127.0.0.1', port, timeout=15)
s.ehlo('client.test')
if tls:
    s.starttls(context=ssl._create_unverified_context())
    s.ehlo('client.test')
for password in sys.argv[4:]:
    t = time.monotonic()
    try:
        code, text = s.docmd('AUTH', 'PLAIN ' + base64.b64encode(('\\0' + user + '\\0' + password).encode()).decode())
        print(code, text.decode(), int((time.monotonic() - t) * 1000), flush=True)
    except smtplib.SMTPServerDisconnected:
        print('closed', flush=True)
        break
try:
    code, text = s.docmd('NOOP')
    print('after', code, flush=True)
except smtplib.SMTPServerDisconnected:
    print('after closed', flush=True)
`;
