/** What the long-running commands share: ports and HOST:PORT flags, bind failures, waiting for a signal. */
import { CommandError, UsageError } from './io.js';

export function port(text: string | undefined, fallback: number, flag: string, command: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n > 65535) throw new UsageError(`${flag} must be a port number (0 to 65535), not \`${text}\``, command);
  return n;
}

export function listenAddress(text: string, fallbackPort: number, command: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`${flag} must be HOST:PORT, not \`${text}\``, command);
  return { host: m[1] ?? m[2]!, port: port(m[3], fallbackPort, flag, command) };
}

export const untilSignal = (): Promise<void> =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

/** How long stopping may take after SIGINT or SIGTERM before the process exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Runs a long-running command: `start`, then wait for SIGINT or SIGTERM, then `stop`; when
 * starting fails, `stop` releases what was opened before the failure is passed on. Exit 0.
 * Stopping is bounded: past SHUTDOWN_TIMEOUT_MS the process exits with 1 (`onSlowStop`
 * says so first). SIGHUP, while running, calls `reload` (each signal once at a time).
 */
export async function runUntilSignal(
  start: () => Promise<void>,
  stop: () => Promise<void>,
  hooks: { reload?: () => Promise<void>; onSlowStop?: () => void } = {},
): Promise<number> {
  try {
    await start();
  } catch (e) {
    await stop();
    throw e;
  }
  let reloading: Promise<void> | null = null;
  const onHup = (): void => {
    if (hooks.reload === undefined || reloading !== null) return;
    reloading = hooks.reload().finally(() => (reloading = null));
  };
  if (hooks.reload !== undefined) process.on('SIGHUP', onHup);
  await untilSignal();
  process.off('SIGHUP', onHup);
  const force = setTimeout(() => {
    hooks.onSlowStop?.();
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS);
  force.unref();
  await reloading;
  await stop();
  clearTimeout(force);
  return 0;
}

/** Binds a server or fails with one line naming the address (busy, privileged). */
export function listenFailure(e: unknown, what: string): never {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : (e as Error).message;
  throw new CommandError(`cannot listen on ${what}: ${why}`);
}
