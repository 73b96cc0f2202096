/** What every command shares: where it reads and writes, its arguments, its two kinds of failure. */

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

/** A mistake in how the command was called: the usage is printed and the exit code is 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to print (absent: the general usage). */
    readonly command?: string,
  ) {
    super(message);
  }
}

export interface Flag {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The value's placeholder in the usage (`JSON`, `FILE`, …). */
  value?: string;
  description: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandArgs {
  values: FlagValues;
  positionals: string[];
  io: Io;
}

