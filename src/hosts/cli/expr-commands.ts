/**
 * `eval`, `check` and `explain`: one expression or block from the command line, or one JSON
 * case per stdin line with `--jsonl`.
 */
import { createInterface } from 'node:readline';
import {
  compile,
  CompileError,
  EvaluationError,
  toJsonValue,
  type BlockInput,
  type CompileOptions,
  type Environment,
  type Explanation,
  type Program,
} from '../../language/index.js';
import { isObject, parseJson } from '../json.js';
import { MemoryLookups, type MemoryLookupsInit } from '../lookups/memory.js';
import { readText, UsageError, type CommandArgs } from './io.js';

/** One case: what to compile, in which context, and what to evaluate it with. */
interface Case {
  expr?: unknown;
  block?: unknown;
  variables?: unknown;
  constants?: unknown;
  vars?: unknown;
  env?: unknown;
  globals?: unknown;
}

export function json(text: string, what: string): unknown {
  try {
    return parseJson(text, what);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function groupOption(v: unknown, what: string): string | string[] | undefined {
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
  let input: string | BlockInput;
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
  return toJsonValue(await program.evaluateValueAsync((c.vars ?? {}) as Record<string, unknown>, environment(c.env, c.globals)));
}

export function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof CompileError) return e.toJSON();
  if (e instanceof EvaluationError) return { code: 'evaluation', message: e.message, function: e.functionName };
  if (e instanceof UsageError) return { code: 'invalid-input', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** JSON lines: one case per input line, one answer per output line, in order. */
async function jsonl(mode: 'eval' | 'check', optimize: boolean, { io }: CommandArgs): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let answer: Record<string, unknown>;
    try {
      const c = json(line, 'input line');
      if (!isObject(c)) throw new UsageError('input line must be a JSON object');
      const program = compileCase(c as Case, optimize);
      answer = mode === 'check' ? { ok: true } : { value: await evaluateCase(program, c as Case) };
    } catch (e) {
      answer = { error: errorJson(e) };
    }
    io.stdout.write(JSON.stringify(answer) + '\n');
  }
  return 0;
}

export function formatExplanation(x: Explanation): string {
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
  out.push(`cost    ${x.cost.spent} units; ${costBound(x.cost.estimate, x.cost.limit)}`);
  return out.join('\n');
}

/** The static worst case, as `check` and `explain` print it. */
function costBound(estimate: number, limit: number): string {
  return estimate <= limit
    ? `at most ${estimate} units (limit ${limit})`
    : `at most ${estimate} units, over the limit of ${limit}: evaluations are metered and stop at the limit`;
}

/** The expression or block given as EXPR, `--block JSON` or `--file FILE` (a block when the file holds JSON). */
export function sourceOf(values: CommandArgs['values'], positionals: readonly string[]): { expr?: string; block?: unknown } {
  if (positionals.length === 1) return { expr: positionals[0]! };
  if (typeof values.block === 'string') return { block: json(values.block, '--block') };
  if (typeof values.file === 'string') {
    const text = readText(values.file);
    const trimmed = text.trim();
    return trimmed.startsWith('{') ? { block: json(trimmed, values.file) } : { expr: text.replace(/\r?\n$/, '') };
  }
  return {};
}

/** `eval`, `check` and `explain`. */
export async function evalCommand(mode: 'eval' | 'check' | 'explain', args: CommandArgs): Promise<number> {
  const { values, positionals, io } = args;
  const optimize = !values['no-optimize'];
  if (values.jsonl) {
    if (positionals.length > 0 || values.block !== undefined || values.file !== undefined) throw new UsageError('--jsonl reads its cases from stdin: give no EXPR, --block or --file', mode);
    return jsonl(mode as 'eval' | 'check', optimize, args);
  }
  const c: Case = { variables: values.variables, constants: values.constants };
  const sources = [positionals.length > 0, values.block !== undefined, values.file !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of EXPR, --block JSON or --file FILE', mode);
  Object.assign(c, sourceOf(values, positionals));
  if (typeof values.vars === 'string') c.vars = json(values.vars, '--vars');
  if (typeof values.env === 'string') c.env = json(values.env, '--env');
  const program = compileCase(c, optimize);
  if (mode === 'check') {
    io.stdout.write(`ok${program.isAsync ? ' (calls host lookups: evaluate asynchronously)' : ''}\n`);
    io.stdout.write(`cost    ${costBound(program.cost, program.costLimit)}\n`);
    return 0;
  }
  if (mode === 'explain') {
    if (c.vars !== undefined && c.vars !== null && !isObject(c.vars)) throw new UsageError('vars must be a JSON object');
    const x = await program.explain((c.vars ?? {}) as Record<string, unknown>, environment(c.env));
    io.stdout.write((values.json ? JSON.stringify(x, null, 2) : formatExplanation(x)) + '\n');
    return 0;
  }
  io.stdout.write(JSON.stringify(await evaluateCase(program, c)) + '\n');
  return 0;
}
