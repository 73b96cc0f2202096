/**
 * Real servers for the tests, each on a loopback port of its own in a temporary directory,
 * started by the test and stopped by it: `redis-server` and PostgreSQL (the Debian packages
 * `redis-server` and `postgresql`; `.ci/run` installs them when missing).
 *
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres`
 * user (runuser) in a directory it owns.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './servers.js';

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

// --- Redis --------------------------------------------------------------------------------

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: as if it crashed). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-expr-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'], {
      stdio: 'ignore',
    });
    child.once('error', () => undefined);
    await waitForPort(port, 15_000, () => `redis-server did not listen on 127.0.0.1:${port} within 15 s`);
  };
  await start();
  const kill = async (): Promise<void> => {
    if (child === undefined) return;
    const c = child;
    child = undefined;
    c.kill('SIGKILL');
    await exited(c);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- PostgreSQL ---------------------------------------------------------------------------

/** The directory of PostgreSQL's programs (initdb, postgres, pg_ctl): the newest Debian one, else PATH. */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(base, versions[0]!, 'bin');
  }
  const which = spawnSync('sh', ['-c', 'dirname "$(command -v initdb)"'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '.') return which.stdout.trim();
  throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the user that owns the data (postgres when we are root). */
function pgCommand(program: string, args: string[]): [string, string[]] {
  const path = join(postgresBin(), program);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

function pgRun(program: string, args: string[]): void {
  const [cmd, argv] = pgCommand(program, args);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
}

export interface PostgresServer {
  port: number;
  /** postgresql://postgres@127.0.0.1:PORT/postgres */
  url: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`: no clean shutdown, as in a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same data and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-expr-pg-'));
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale', 'C']);
  const port = await freePort();
  const start = async (): Promise<void> => {
    pgRun('pg_ctl', [
      'start',
      '-D',
      data,
      '-w',
      '-t',
      '30',
      '-l',
      join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=16MB`,
    ]);
    await waitForPort(port, 15_000, () => `PostgreSQL did not listen on 127.0.0.1:${port} within 15 s`);
  };
  await start();
  let running = true;
  const kill = async (): Promise<void> => {
    if (!running) return;
    running = false;
    pgRun('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
  };
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    kill,
    restart: async () => {
      await start();
      running = true;
    },
    stop: async () => {
      try {
        await kill();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

