/**
 * The `mta-expr` command: finds the command in the table, parses its own flags (strict: a
 * flag of another command, an unknown flag or a stray word is a usage error), and runs it.
 *
 * Exit codes: 0 success; 1 a compile error, a rejected update, or a runtime failure (one
 * `error: …` line); 2 a usage error (the message, then the usage); 3 drift found by
 * `apply --dry-run --exit-code`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CompileError, EvaluationError } from '../../language/index.js';
import { ApiError } from '../api/error.js';
import { ConfigError } from '../config/object.js';
import { CommandError, PROCESS_IO, styles, UsageError, useColor, type FlagValues, type Io } from './io.js';
import { commandUsage, findCommand, usage, type Command } from './usage.js';

/** The package's version, from the package.json above this file (its place differs in the bundle). */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mta-expr' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

function parse(command: Command, argv: string[]): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(command.flags)) options[name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
    throw new UsageError(`${command.name}: ${message}`, command.name);
  }
  const { values, positionals } = parsed;
  if (!values.help) {
    const { min, max } = command.positionals;
    if (positionals.length > max) {
      const extra = positionals.slice(max).map((w) => `\`${w}\``).join(' ');
      throw new UsageError(
        `${command.name}: unexpected ${extra}${max === 1 ? ' (give the expression as one quoted argument)' : ''}${/^\[|\]$/.test(positionals[max]!) ? ' — leave out the brackets: they only mark optional flags in the usage' : ''}`,
        command.name,
      );
    }
    if (positionals.length < min) throw new UsageError(`${command.name}: give ${command.operands.split(' ')[0]}`, command.name);
  }
  return { values: values as FlagValues, positionals };
}

/** Runs the command line; resolves with the exit code. Never throws. */
export async function run(argv: readonly string[], io: Io = PROCESS_IO): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : findCommand(name);
  try {
    if (name === '--version' || name === '-v') {
      io.stdout.write(`mta-expr ${version()}\n`);
      return 0;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' && rest[0] !== undefined ? findCommand(rest[0]) : undefined;
      (name === undefined ? io.stderr : io.stdout).write(topic ? commandUsage(topic) : usage());
      return name === undefined ? 2 : 0;
    }
    if (command === undefined) throw new UsageError(`unknown command \`${name}\``);
    const { values, positionals } = parse(command, [...rest]);
    if (values.help) {
      io.stdout.write(commandUsage(command));
      return 0;
    }
    return await command.run({ values, positionals, io });
  } catch (e) {
    return report(e, io);
  }
}

/** What a failure prints, and its exit code. */
function report(e: unknown, io: Io): number {
  const error = `${styles(useColor(io, 'stderr')).red('error')}:`;
  if (e instanceof UsageError) {
    const command = e.command === undefined ? undefined : findCommand(e.command);
    io.stderr.write(`${error} ${e.message}\n\n${command ? commandUsage(command) : usage()}`);
    return 2;
  }
  // A bad expression prints as a compile error (`error[CODE]: …` and the caret); a configuration
  // file that cannot be read or used is a failure like any other.
  if (e instanceof CompileError || (e instanceof ConfigError && e.cause instanceof CompileError)) {
    io.stderr.write(e.render() + '\n');
    return 1;
  }
  if (e instanceof ConfigError) {
    io.stderr.write(`${error} ${e.render()}\n`);
    return 1;
  }
  if (e instanceof EvaluationError) {
    io.stderr.write(`${error} evaluation failed: ${e.message}\n`);
    return 1;
  }
  if (e instanceof CommandError || e instanceof ApiError) {
    io.stderr.write(`${error} ${e.message}\n`);
    return e instanceof CommandError ? e.exitCode : 1;
  }
  io.stderr.write(`${error} internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}
