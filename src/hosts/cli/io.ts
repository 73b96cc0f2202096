/** Where a command reads and writes: the process's streams, or a test's. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export const PROCESS_IO: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

/** A failure while running a command (server unreachable, 401, a file that cannot be read): one line, exit 1. */
export class CommandError extends Error {}
