/** Runs `mta-expr serve` (the built dist/cli.js) on a port of its own and a temporary data directory. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './cli.js';
import { ROOT } from './helpers.js';

export const ADMIN_TOKEN = 'admin-token-0123456789';
export const READER_TOKEN = 'reader-token-0123456789';
export const CORE = 'urn:ietf:params:jmap:core';
export const STALWART = 'urn:stalwart:jmap';
export const USING = [CORE, STALWART];

export interface Served {
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  data: string;
  child: ChildProcess;
  /** Stops the server (SIGTERM); resolves with its exit code. */
  stop(): Promise<number | null>;
}

export const READER = { token: READER_TOKEN, name: 'reader', permissions: ['sysMtaStageAuthGet', 'sysMtaStageConnectGet'] };

/**
 * Starts `serve --data DIR --listen 127.0.0.1:0 ARGS` with the administrator's token and a
 * configuration file (by default holding a read-only token named `reader`); DIR is a new
 * temporary directory unless `data` names one.
 */
export async function serve(args: string[] = [], options: { config?: unknown; data?: string } = {}): Promise<Served> {
  const data = options.data ?? mkdtempSync(join(tmpdir(), 'mta-expr-serve-'));
  const config = options.config ?? { tokens: [READER] };
  const file = join(mkdtempSync(join(tmpdir(), 'mta-expr-config-')), 'server.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--listen', '127.0.0.1:0', '--config', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, MTA_EXPR_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const started = Date.now();
  while (!/(https?:\/\/127\.0\.0\.1:\d+)\/api/.test(out)) {
    if (child.exitCode !== null || Date.now() - started > 15_000) throw new Error(`serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = /(https?:\/\/127\.0\.0\.1:\d+)\/api/.exec(out)![1]!;
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return { url, data, child, stop };
}

/** POSTs a JMAP request (an object, or raw text) to `/api`. */
export async function post(s: Served, body: unknown, options: { token?: string | null; contentType?: string } = {}): Promise<{ status: number; json: any }> {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  const res = await fetch(`${s.url}/api`, {
    method: 'POST',
    headers: { 'Content-Type': options.contentType ?? 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** One request of method calls `[name, args, id]`; the method responses. */
export async function calls(s: Served, methodCalls: unknown[], using: string[] = USING, token?: string): Promise<any[]> {
  const r = await post(s, { using, methodCalls }, { token });
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json.methodResponses;
}

/** One method call; its response `[name, result, id]`. */
export async function call(s: Served, name: string, args: unknown, token?: string): Promise<[string, any, string]> {
  return (await calls(s, [[name, args, 'c1']], USING, token))[0];
}
