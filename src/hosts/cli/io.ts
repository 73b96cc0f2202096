/** What every command shares: where it reads and writes, its arguments, its two kinds of failure. */
import { readFileSync } from 'node:fs';

/** Where a command reads and writes: the process's streams, or a test's. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export const PROCESS_IO: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

/** A failure while running a command (a file that cannot be read, a change refused): one line, exit 1 unless said otherwise. The API client's ApiError prints the same way. */
export class CommandError extends Error {
  constructor(
    message: string,
    /** The exit code (1 unless said otherwise). */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A file's text; one that cannot be read is a CommandError that says why. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Whether to colour what goes to a stream: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export function useColor(io: Io, stream: 'stdout' | 'stderr'): boolean {
  const noColor = io.env.NO_COLOR;
  return (noColor === undefined || noColor === '') && (io[stream] as { isTTY?: boolean }).isTTY === true;
}

/** ANSI styles, or nothing when colour is off. */
export function styles(on: boolean): { red(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string } {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('31'), green: wrap('32'), bold: wrap('1'), dim: wrap('2') };
}

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

