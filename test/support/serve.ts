/** Runs `mta-expr serve` (the built dist/cli.js) on a port of its own and a temporary data directory. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type Running } from './servers.js';

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
  /** The process, its output kept. */
  process: Running;
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
  const running = startCli(['serve', '--data', data, '--listen', '127.0.0.1:0', '--config', file, ...args], { ...process.env, MTA_EXPR_ADMIN_TOKEN: ADMIN_TOKEN });
  const url = (await running.waitFor(/(https?:\/\/127\.0\.0\.1:\d+)\/api/))[1]!;
  return { url, data, child: running.child, process: running, stop: () => running.stop() };
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
