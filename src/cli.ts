#!/usr/bin/env node
/**
 * The `mta-expr` command: eval, check and explain expressions and blocks, one at a time
 * or as JSON lines. Argument parsing is node:util's parseArgs (strict: unknown flags fail).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { BlockInput } from './block.js';
import { clientCommand, serveCommand, smtpCommand, UsageError } from './cli-servers.js';
import { CompileError, EvaluationError } from './errors.js';
import { MemoryLookups, type MemoryLookupsInit } from './lookups.js';
import type { CompileOptions, Environment } from './options.js';
import { compile, type Explanation, type Program } from './program.js';
import { isObject, toJsonValue } from './values.js';

const USAGE = `Usage:
  mta-expr eval    EXPR | --block JSON | --file F  [options]   print the value as JSON
  mta-expr check   EXPR | --block JSON | --file F  [options]   compile only; exit 1 on error
  mta-expr explain EXPR | --block JSON | --file F  [options]   show each condition, the branch taken, captures
  mta-expr eval --jsonl | check --jsonl                          one JSON case per stdin line, one answer per line
  mta-expr smtp [--hostname H] [--smtp-port N] [--submission-port M] [--config FILE] [--host ADDR] [--verbose]
                                                                 run an SMTP server applying the session policy
  mta-expr serve --data DIR [--listen HOST:PORT] [--config FILE] [--smtp …]
                                                                 run the management API (and with --smtp the SMTP server)
  mta-expr get OBJECT [--url URL] [--token T]                    read an object through the management API
  mta-expr update OBJECT --field NAME=BLOCK… [--url URL] [--token T]
                                                                 change fields (BLOCK is JSON, null restores the default)

Options:
  --variables G     variable group (e.g. MtaEhloVariable) or comma-separated names
  --constants G     constant group (e.g. MtaAuthTypeConstant) or comma-separated names
  --vars JSON       the session's variables, e.g. '{"local_port": 587, "is_tls": true}'
  --env JSON        host environment: {"system": {...}, "globals": {...}, "metrics": {...}, "lookups": {...}}
  --block JSON      an if/then/else block: {"match": [{"if": ..., "then": ...}], "else": ...}
  --file F          a file holding a block (JSON) or an expression (text)
  --json            explain: print the explanation as JSON
  --no-optimize     compile without the optimiser passes
  smtp: --hostname (default localhost), --smtp-port (2525, seen as local_port 25),
        --submission-port (2587, seen as 587), --host (127.0.0.1), --config FILE (JSON:
        object field overrides, users, tls, tokens), --verbose (log SMTP traffic)
  serve: --data DIR (the stored configuration), --listen (127.0.0.1:8080), --smtp (also run
        the SMTP server on the live configuration); MTA_EXPR_ADMIN_TOKEN holds a token with
        every permission, other tokens come from the config file
  get/update: --url (MTA_EXPR_URL, default http://127.0.0.1:8080), --token (MTA_EXPR_TOKEN)
  -h, --help        this help
`;

type Input = string | BlockInput;

interface Case {
  expr?: unknown;
  block?: unknown;
  variables?: unknown;
  constants?: unknown;
  vars?: unknown;
  env?: unknown;
  globals?: unknown;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function groupOption(v: unknown, what: string): string | string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (typeof v !== 'string') throw new UsageError(`${what} must be a group name or a list of names`);
  return v.includes(',') ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
}

function environment(env: unknown, globals?: unknown): Environment {
  if (env !== undefined && env !== null && !isObject(env)) throw new UsageError('env must be a JSON object');
  const e = (env ?? {}) as Record<string, unknown>;
  const out: Environment = {};
  if (isObject(e.system)) out.system = e.system;
  const g = globals ?? e.globals;
  if (isObject(g)) out.globals = g;
  if (isObject(e.metrics)) out.metrics = e.metrics as Record<string, number>;
  out.lookups = new MemoryLookups(isObject(e.lookups) ? (e.lookups as MemoryLookupsInit) : {});
  return out;
}

function compileCase(c: Case, optimize: boolean): Program {
  const options: CompileOptions = { optimize };
  const variables = groupOption(c.variables, 'variables');
  const constants = groupOption(c.constants, 'constants');
  if (variables !== undefined) options.variables = variables;
  if (constants !== undefined) options.constants = constants;
  let input: Input;
  if (typeof c.expr === 'string') input = c.expr;
  else if (isObject(c.block)) input = c.block as BlockInput;
  else throw new UsageError('a case needs "expr" (a string) or "block" (an object)');
  try {
    return compile(input, options);
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  }
}

async function evaluateCase(program: Program, c: Case): Promise<unknown> {
  if (c.vars !== undefined && c.vars !== null && !isObject(c.vars)) throw new UsageError('vars must be a JSON object');
  const vars = (c.vars ?? {}) as Record<string, unknown>;
  return toJsonValue(await program.evaluateValueAsync(vars, environment(c.env, c.globals)));
}

function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof CompileError) return e.toJSON();
  if (e instanceof EvaluationError) return { code: 'evaluation', message: e.message, function: e.functionName };
  if (e instanceof UsageError) return { code: 'invalid-input', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** JSON lines: one case per input line, one answer per output line, in order. */
async function jsonl(mode: 'eval' | 'check', optimize: boolean): Promise<number> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let answer: Record<string, unknown>;
    try {
      const c = parseJson(line, 'input line');
      if (!isObject(c)) throw new UsageError('input line must be a JSON object');
      const program = compileCase(c as Case, optimize);
      answer = mode === 'check' ? { ok: true } : { value: await evaluateCase(program, c as Case) };
    } catch (e) {
      answer = { error: errorJson(e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
  return 0;
}

function formatExplanation(x: Explanation): string {
  const out: string[] = [];
  for (const c of x.conditions) {
    out.push(`if #${c.condition}   ${c.source}`);
    out.push(`        = ${JSON.stringify(c.value)}  (${c.matched ? 'true' : 'false'})`);
    if (c.captures.length > 0) out.push(`        captures: ${c.captures.map((v, i) => `$${i}=${JSON.stringify(v)}`).join(' ')}`);
  }
  if (x.taken === null) out.push('no condition matched and the block is unset: no value');
  else if (x.taken.kind === 'then') out.push(`then #${x.taken.condition} ${x.taken.source}`);
  else out.push(`${x.conditions.length > 0 ? 'no condition matched: ' : ''}else   ${x.taken.source}`);
  out.push(`value   ${JSON.stringify(x.value)}`);
  return out.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      variables: { type: 'string' },
      constants: { type: 'string' },
      vars: { type: 'string' },
      env: { type: 'string' },
      block: { type: 'string' },
      file: { type: 'string' },
      jsonl: { type: 'boolean' },
      json: { type: 'boolean' },
      'no-optimize': { type: 'boolean' },
      hostname: { type: 'string' },
      'smtp-port': { type: 'string' },
      'submission-port': { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      verbose: { type: 'boolean' },
      smtp: { type: 'boolean' },
      listen: { type: 'string' },
      data: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      field: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'smtp') return smtpCommand(values);
  if (command === 'serve') return serveCommand(values);
  if (command === 'get' || command === 'update') return clientCommand(command, values, rest);
  if (command !== 'eval' && command !== 'check' && command !== 'explain') throw new UsageError(`unknown command \`${command}\``);
  const optimize = !values['no-optimize'];
  if (values.jsonl) {
    if (command === 'explain') throw new UsageError('--jsonl goes with eval or check');
    return jsonl(command, optimize);
  }
  const c: Case = { variables: values.variables, constants: values.constants };
  const sources = [rest.length > 0, values.block !== undefined, values.file !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of EXPR, --block JSON or --file F');
  if (rest.length > 1) throw new UsageError('give the expression as one argument (quote it)');
  if (rest.length === 1) c.expr = rest[0];
  if (values.block !== undefined) c.block = parseJson(values.block, '--block');
  if (values.file !== undefined) {
    const text = readFileSync(values.file, 'utf8');
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) c.block = parseJson(trimmed, values.file);
    else c.expr = text.replace(/\r?\n$/, '');
  }
  if (values.vars !== undefined) c.vars = parseJson(values.vars, '--vars');
  if (values.env !== undefined) c.env = parseJson(values.env, '--env');
  let program: Program;
  try {
    program = compileCase(c, optimize);
  } catch (e) {
    if (e instanceof CompileError) {
      process.stderr.write(e.render() + '\n');
      return 1;
    }
    throw e;
  }
  if (command === 'check') {
    process.stdout.write(`ok${program.isAsync ? ' (calls host lookups: evaluate asynchronously)' : ''}\n`);
    return 0;
  }
  if (command === 'explain') {
    const x = await program.explain((c.vars ?? {}) as Record<string, unknown>, environment(c.env));
    process.stdout.write((values.json ? JSON.stringify(x, null, 2) : formatExplanation(x)) + '\n');
    return 0;
  }
  process.stdout.write(JSON.stringify(await evaluateCase(program, c)) + '\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof EvaluationError) {
      process.stderr.write(`evaluation failed: ${e.message}\n`);
      process.exitCode = 1;
    } else if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mta-expr: ${(e as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`mta-expr: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    }
  },
);
