/**
 * `lint`: the warnings about an expression or block (or every field of a configuration
 * file, or one JSON case per stdin line), with carets and fixes, then a summary. Warnings
 * never make the command fail, unless there are more than `--max-warnings`; a source that
 * does not compile is an error (exit 1), as for `check`.
 */
import { createInterface } from 'node:readline';
import {
  compile,
  diagnosticJson,
  lint,
  renderDiagnostic,
  VALUE_TYPES,
  type BlockInput,
  type CompileOptions,
  type Diagnostic,
  type LintField,
  type ValueType,
} from '../../language/index.js';
import { lintField, lintFieldOf } from '../config/lint.js';
import { fieldSchema, objectSchema, SCHEMA, type Schema } from '../config/schema.js';
import { isObject } from '../json.js';
import { errorJson, groupOption, json, sourceOf } from './expr-commands.js';
import { CommandError, UsageError, type CommandArgs, type Io } from './io.js';
import { loadServerConfig } from './server-config.js';

/** One thing to lint: what to compile, and the field it is for. */
interface LintCase {
  expr?: unknown;
  block?: unknown;
  variables?: unknown;
  constants?: unknown;
  /** `Object.field` of the schema: its type and context. */
  field?: unknown;
  /** The value type, for a field the schema does not describe. */
  type?: unknown;
}

/** The field a case is for: from the schema (`Object.field`) or from its groups and type. Usage errors name `command`. */
function fieldOf(c: LintCase, schema: Schema, command?: string): LintField {
  if (c.field !== undefined) {
    if (typeof c.field !== 'string') throw new UsageError('field must be Object.field', command);
    if (c.variables !== undefined || c.constants !== undefined || c.type !== undefined) {
      throw new UsageError('a field (Object.field) gives its own variables, constants and type: leave those out', command);
    }
    const dot = c.field.indexOf('.');
    const object = dot > 0 ? objectSchema(schema, c.field.slice(0, dot)) : undefined;
    const field = object ? fieldSchema(object, c.field.slice(dot + 1)) : undefined;
    if (field === undefined) {
      const known = Object.entries(schema).flatMap(([name, o]) => Object.keys(o.fields).map((f) => `${name}.${f}`));
      throw new UsageError(`unknown field \`${c.field}\`; known fields: ${known.join(', ')}`, command);
    }
    return lintFieldOf(field);
  }
  const out: LintField = {};
  const variables = groupOption(c.variables, 'variables');
  const constants = groupOption(c.constants, 'constants');
  if (variables !== undefined) out.variables = variables;
  if (constants !== undefined) out.constants = constants;
  if (c.type !== undefined) {
    if (typeof c.type !== 'string' || !(VALUE_TYPES as readonly string[]).includes(c.type)) throw new UsageError(`type must be one of ${VALUE_TYPES.join(', ')}`, command);
    out.type = c.type as ValueType;
  }
  return out;
}

function lintCase(c: LintCase, schema: Schema, command?: string): Diagnostic[] {
  const field = fieldOf(c, schema, command);
  let input: string | BlockInput;
  if (typeof c.expr === 'string') input = c.expr;
  else if (isObject(c.block)) input = c.block as BlockInput;
  else throw new UsageError('a case needs "expr" (a string) or "block" (an object)', command);
  const options: CompileOptions = {};
  if (field.variables !== undefined) options.variables = field.variables;
  if (field.constants !== undefined) options.constants = field.constants;
  let program;
  try {
    program = compile(input, options);
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message, command);
    throw e;
  }
  return lint(program, { field });
}

/** `3 warnings (unescaped-dot 2, or-as-set 1)`, or `no warnings`. */
export function summary(found: readonly Diagnostic[]): string {
  if (found.length === 0) return 'no warnings';
  const counts = new Map<string, number>();
  for (const d of found) counts.set(d.code, (counts.get(d.code) ?? 0) + 1);
  const byCount = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return `${found.length} warning${found.length === 1 ? '' : 's'} (${byCount.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

function maxWarnings(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) throw new UsageError('--max-warnings must be a whole number', 'lint');
  return Number(value);
}

/** The exit code: 0; a failure (exit 1) when there are more warnings than allowed. */
function verdict(count: number, max: number | undefined): number {
  if (max === undefined || count <= max) return 0;
  throw new CommandError(`${count} warning${count === 1 ? '' : 's'}, more than --max-warnings ${max}`);
}

/** JSON lines: one case per input line, one answer per output line; the summary on stderr. */
async function jsonl(io: Io, schema: Schema, max: number | undefined): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  const all: Diagnostic[] = [];
  let cases = 0;
  let failed = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    cases++;
    let answer: Record<string, unknown>;
    try {
      const c = json(line, 'input line');
      if (!isObject(c)) throw new UsageError('input line must be a JSON object');
      const found = lintCase(c as LintCase, schema);
      all.push(...found);
      answer = { warnings: found.map(diagnosticJson) };
    } catch (e) {
      failed++;
      answer = { error: errorJson(e) };
    }
    io.stdout.write(JSON.stringify(answer) + '\n');
  }
  io.stderr.write(`lint: ${cases} case${cases === 1 ? '' : 's'}${failed > 0 ? ` (${failed} with an error)` : ''}, ${summary(all)}\n`);
  return verdict(all.length, max);
}

/** Every field a configuration file sets, linted with the schema's field. */
function configFindings(path: string, schema: Schema): Array<{ field: string; diagnostic: Diagnostic }> {
  const config = loadServerConfig(path, schema);
  const out: Array<{ field: string; diagnostic: Diagnostic }> = [];
  for (const [name, fields] of Object.entries(config.overrides)) {
    const object = config.objects[name]!;
    for (const field of Object.keys(fields)) {
      for (const diagnostic of lintField(object.schema.fields[field]!, object.program(field))) out.push({ field: `${name}.${field}`, diagnostic });
    }
  }
  return out;
}

/** `mta-expr lint EXPR | --block JSON | --file FILE | --config FILE | --jsonl`. */
export async function lintCommand({ values, positionals, io }: CommandArgs, schema: Schema = SCHEMA): Promise<number> {
  const max = maxWarnings(values['max-warnings']);
  const sources = [positionals.length > 0, values.block !== undefined, values.file !== undefined, values.config !== undefined, values.jsonl === true].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of EXPR, --block JSON, --file FILE, --config FILE or --jsonl', 'lint');
  const context = values.field !== undefined || values.variables !== undefined || values.constants !== undefined || values.type !== undefined;
  if ((values.jsonl || values.config !== undefined) && context) {
    throw new UsageError(values.jsonl ? '--jsonl cases give their own field, variables, constants and type' : '--config lints each field with its own context and type', 'lint');
  }
  if (values.jsonl) return jsonl(io, schema, max);
  let found: Array<{ field?: string; diagnostic: Diagnostic }>;
  if (typeof values.config === 'string') {
    found = configFindings(values.config, schema);
  } else {
    const c: LintCase = { variables: values.variables, constants: values.constants, field: values.field, type: values.type, ...sourceOf(values, positionals) };
    found = lintCase(c, schema, 'lint').map((diagnostic) => ({ diagnostic }));
  }
  const diagnostics = found.map((f) => f.diagnostic);
  if (values.json) {
    io.stdout.write(JSON.stringify({ warnings: found.map((f) => ({ ...(f.field ? { field: f.field } : {}), ...diagnosticJson(f.diagnostic) })), summary: summary(diagnostics) }, null, 2) + '\n');
  } else {
    const rendered = found.map((f) => `${f.field ? f.field + ': ' : ''}${renderDiagnostic(f.diagnostic)}`);
    io.stdout.write(rendered.map((r) => r + '\n\n').join('') + summary(diagnostics) + '\n');
  }
  return verdict(diagnostics.length, max);
}
