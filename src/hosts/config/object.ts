/**
 * Configuration objects compiled from the schema: each field's block compiled in its
 * context, and read as the field's type (SPEC §11, §13). A value that cannot be read as the
 * type, or an evaluation that fails, is *no value*: it is reported to the error hook with
 * the object, the field and the cause, and the field's default is used instead (then the
 * schema's fallback).
 */
import {
  compile,
  CompileError,
  CONSTANT_GROUPS,
  normalizeBlock,
  readAs,
  type BlockInput,
  type Environment,
  type Explanation,
  type HostValue,
  type Program,
  type TypedValue,
} from '../../language/index.js';
import { hasOwn } from '../json.js';
import { fieldSchema, objectSchema, SCHEMA, type FieldSchema, type FieldType, type ObjectSchema, type Schema } from './schema.js';

export interface FieldError {
  object: string;
  field: string;
  /** What went wrong: an EvaluationError, or a description (wrong type, refused value). */
  cause: unknown;
}

export type ErrorHook = (error: FieldError) => void;

/** The typed value of each field type. */
export type FieldValue = TypedValue;

/** One block of a field as it was evaluated: each condition, the branch taken, and how its value was read. */
export interface BlockTrace {
  /** The field's own block (as configured, or its default when it keeps it), or the default tried after it. */
  block: 'field' | 'default';
  /** Each condition's value and the branch taken; null when the evaluation failed. */
  explanation: Explanation | null;
  /** The value read as the field's type; absent: no value. */
  value?: unknown;
  /** Why the block gave no value (a failed evaluation, the wrong type, a refused value); absent when it gave one or is unset. */
  error?: string;
}

/** What a field's evaluation did: each block evaluated, and the value the host uses. */
export interface FieldTrace {
  object: string;
  field: string;
  type: FieldType;
  /** The value the host uses (undefined when nothing gives one). */
  value: unknown;
  /** Where it came from: the field's block, the default after it, or the schema's fallback. */
  from: 'field' | 'default' | 'fallback' | 'none';
  blocks: BlockTrace[];
}

/** An error's one-line description, as the error hook receives it. */
export function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** An invalid field value: which object and field, and the positioned compile error. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly object: string,
    readonly field: string,
    override readonly cause: CompileError | string,
  ) {
    super(`${object}.${field}: ${typeof cause === 'string' ? cause : cause.message}`);
  }

  /** The error as the CLI prints it: the object and field, then the caret snippet. */
  render(): string {
    return `${this.object}.${this.field}: ${typeof this.cause === 'string' ? this.cause : this.cause.render()}`;
  }
}

/** A block in its one wire form: `match` as a list (empty when there is none), `else` always present. */
export interface CanonicalBlock {
  match: Array<{ if: string; then: string }>;
  else: string;
}

/** A key of a block or of a condition that is not one of its parts: refused with its path, never stored. */
function unknownKey(path: string, expected: string): CompileError {
  return new CompileError({ code: 'invalid-block', message: `unknown key \`${path}\` (${expected})`, source: '', offset: 0, part: { kind: 'else' } });
}

/** Refuses a key beside `match` and `else`, or beside `if` and `then` in a condition (a list or the index-keyed form). */
function checkBlockKeys(input: BlockInput): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return; // normalizeBlock says what it must be
  const extra = Object.keys(input).find((k) => k !== 'match' && k !== 'else');
  if (extra !== undefined) throw unknownKey(extra, 'a block has only `match` and `else`');
  const match: unknown = input.match;
  if (match === null || typeof match !== 'object') return;
  for (const [index, condition] of Object.entries(match)) {
    if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) continue;
    const key = Object.keys(condition).find((k) => k !== 'if' && k !== 'then');
    if (key !== undefined) throw unknownKey(`match/${index}/${key}`, 'a condition has only `if` and `then`');
  }
}

/** The wire form of a block given as a list or in the index-keyed object form; throws CompileError for a bad shape or an unknown key. */
export function canonicalBlock(input: BlockInput): CanonicalBlock {
  checkBlockKeys(input);
  const normal = normalizeBlock(input);
  return { match: normal.conditions.map((c) => ({ if: c.if, then: c.then })), else: normal.else ?? '' };
}

/** Two blocks in wire form are the same. */
export const sameBlock = (a: CanonicalBlock, b: CanonicalBlock): boolean => JSON.stringify(a) === JSON.stringify(b);

interface CompiledField {
  schema: FieldSchema;
  /** The configured block, or the default, in wire form. */
  block: CanonicalBlock;
  isDefault: boolean;
  /** The compiled block; a block already validated (in the compile worker) is compiled when first used. */
  program: Program | (() => Program);
  fallback: Program;
}

/** A field's program, compiled now if it was left for its first use. */
function programOf(f: CompiledField): Program {
  if (typeof f.program === 'function') f.program = f.program();
  return f.program;
}

/** Compiled defaults, once per process and field. */
const defaults = new WeakMap<FieldSchema, Program>();

function defaultProgram(object: string, field: string, schema: FieldSchema): Program {
  let p = defaults.get(schema);
  if (p === undefined) {
    p = compileField(object, field, schema, schema.default);
    defaults.set(schema, p);
  }
  return p;
}

const defaultBlocks = new WeakMap<FieldSchema, CanonicalBlock>();

/** A field's default in wire form. */
export function defaultBlock(schema: FieldSchema): CanonicalBlock {
  let b = defaultBlocks.get(schema);
  if (b === undefined) {
    b = canonicalBlock(schema.default);
    defaultBlocks.set(schema, b);
  }
  return b;
}

/** Compiles a block for a field, in the field's context; throws ConfigError. */
export function compileField(object: string, field: string, schema: FieldSchema, block: BlockInput): Program {
  try {
    return compile(block, { variables: schema.variables, constants: schema.constants });
  } catch (e) {
    if (e instanceof CompileError) throw new ConfigError(object, field, e);
    throw e;
  }
}

/** Why a value is refused for a field, or null when it is acceptable. */
function refusal(schema: FieldSchema, v: unknown): string | null {
  if (schema.smtpLine && typeof v === 'string' && /[\r\n]/.test(v)) return 'contains CR or LF, which would break the SMTP protocol';
  return null;
}

/** One configuration object with its fields compiled: typed evaluation with defaults. */
export class ConfigObject {
  readonly name: string;
  readonly schema: ObjectSchema;
  private readonly fields: ReadonlyMap<string, CompiledField>;

  /**
   * Compiles an object's fields: `values` overrides some of them (the rest keep their
   * defaults; a value equal to its field's default is the default). Throws ConfigError for
   * an unknown object or field or a block that does not compile; nothing is half-applied.
   * With `validated` (the blocks were compiled already, in the compile worker: validate.ts)
   * each field is compiled when first evaluated, not here.
   */
  constructor(name: string, values: Readonly<Record<string, BlockInput>> = {}, schema: Schema = SCHEMA, options: { validated?: boolean } = {}) {
    const object = objectSchema(schema, name);
    if (object === undefined) throw new ConfigError(name, '*', 'unknown object');
    for (const field of Object.keys(values)) {
      if (fieldSchema(object, field) === undefined) throw new ConfigError(name, field, 'unknown field');
    }
    const fields = new Map<string, CompiledField>();
    for (const [field, f] of Object.entries(object.fields)) {
      const fallback = defaultProgram(name, field, f);
      const given = hasOwn(values, field) ? values[field] : undefined;
      let configured: CanonicalBlock | undefined;
      if (given !== undefined && given !== null) {
        try {
          configured = canonicalBlock(given);
        } catch (e) {
          if (e instanceof CompileError) throw new ConfigError(name, field, e);
          throw e;
        }
        if (sameBlock(configured, defaultBlock(f))) configured = undefined;
      }
      const block = configured;
      const program = block === undefined ? fallback : options.validated ? () => compileField(name, field, f, block) : compileField(name, field, f, block);
      fields.set(field, { schema: f, block: configured ?? defaultBlock(f), isDefault: configured === undefined, program, fallback });
    }
    this.name = name;
    this.schema = object;
    this.fields = fields;
  }

  /** The block of a field as configured (or its default), in wire form. */
  block(field: string): CanonicalBlock {
    return this.field(field).block;
  }

  /** Every field's block, as returned by the API. */
  blocks(): Record<string, CanonicalBlock> {
    return Object.fromEntries([...this.fields].map(([name, f]) => [name, f.block]));
  }

  /** The fields that differ from their defaults, with their blocks: what is stored. */
  overrides(): Record<string, CanonicalBlock> {
    return Object.fromEntries([...this.fields].filter(([, f]) => !f.isDefault).map(([name, f]) => [name, f.block]));
  }

  /** Whether a field keeps its default. */
  isDefault(field: string): boolean {
    return this.field(field).isDefault;
  }

  /** The compiled program of a field (its configured block, or the default). */
  program(field: string): Program {
    return programOf(this.field(field));
  }

  private field(field: string): CompiledField {
    const f = this.fields.get(field);
    if (f === undefined) throw new ConfigError(this.name, field, 'unknown field');
    return f;
  }

  /**
   * Evaluates a field as its type. No value (the wrong type, a refused value, a failed
   * evaluation) is reported to `onError` and the default is used, then the schema's
   * fallback; undefined only when none of them gives a value.
   */
  async evaluate<T extends FieldType>(field: string, vars: object, env: Environment = {}, onError?: ErrorHook): Promise<FieldValue[T] | undefined> {
    const f = this.field(field);
    let value = await this.read(f, programOf(f), field, vars, env, onError);
    if (value === undefined && !f.isDefault) value = await this.read(f, f.fallback, field, vars, env, onError);
    return (value === undefined ? f.schema.fallback : value) as FieldValue[T] | undefined;
  }

  /**
   * Evaluates a field as `evaluate` does, step by step: each block evaluated (the field's,
   * then the default when it gave no value) with its conditions and branch, and the value
   * the host uses. What a simulation shows and branch coverage counts.
   */
  async explain(field: string, vars: object, env: Environment = {}, onError?: ErrorHook): Promise<FieldTrace> {
    const f = this.field(field);
    const blocks: BlockTrace[] = [];
    const traced = async (block: BlockTrace['block'], program: Program): Promise<unknown> => {
      const trace: BlockTrace = { block, explanation: null };
      blocks.push(trace);
      const hook: ErrorHook = (e) => {
        trace.error = describeCause(e.cause);
        onError?.(e);
      };
      let raw: HostValue | null;
      try {
        const t = await program.trace(vars, env);
        trace.explanation = t.explanation;
        raw = t.value;
      } catch (cause) {
        hook({ object: this.name, field, cause });
        return undefined;
      }
      const value = this.typed(f, field, raw, hook);
      if (value !== undefined) trace.value = value;
      return value;
    };
    let value = await traced('field', programOf(f));
    let from: FieldTrace['from'] = 'field';
    if (value === undefined && !f.isDefault) {
      value = await traced('default', f.fallback);
      from = 'default';
    }
    if (value === undefined) {
      value = f.schema.fallback;
      from = value === undefined ? 'none' : 'fallback';
    }
    return { object: this.name, field, type: f.schema.type, value, from, blocks };
  }

  private async read(f: CompiledField, program: Program, field: string, vars: object, env: Environment, onError?: ErrorHook): Promise<unknown> {
    let value: HostValue | null;
    try {
      value = program.isAsync ? await program.evaluateAsync(vars, env) : program.evaluate(vars, env);
    } catch (cause) {
      onError?.({ object: this.name, field, cause });
      return undefined;
    }
    return this.typed(f, field, value, onError);
  }

  /** A block's value read as the field's type; undefined is no value (reported unless the block is unset). */
  private typed(f: CompiledField, field: string, value: HostValue | null, onError?: ErrorHook): unknown {
    if (value === null) return undefined; // unset: the default applies, nothing to report
    const constants = f.schema.constants ? CONSTANT_GROUPS[f.schema.constants] : undefined;
    const typed = readAs(f.schema.type, value, constants);
    const refused = typed === undefined ? `the value ${JSON.stringify(value)} is not a ${f.schema.type}` : refusal(f.schema, typed);
    if (refused !== null) {
      onError?.({ object: this.name, field, cause: refused });
      return undefined;
    }
    return typed;
  }
}
