/**
 * Configuration objects compiled from the schema: each field's block compiled in its
 * context, and read as the field's type (SPEC §11, §13). A value that cannot be read as the
 * type, or an evaluation that fails, is *no value*: it is reported to the error hook with
 * the object, the field and the cause, and the field's default is used instead.
 */
import type { BlockInput } from '../block.js';
import { CompileError } from '../errors.js';
import type { Environment } from '../options.js';
import { compile, type Program } from '../program.js';
import { asBoolean, asConstantList, asDuration, asInteger, asString } from '../readers.js';
import { CONSTANT_GROUPS } from '../contexts.js';
import type { HostValue } from '../values.js';
import { SCHEMA, type FieldSchema, type FieldType, type ObjectSchema } from './schema.js';

export interface FieldError {
  object: string;
  field: string;
  /** What went wrong: an Error (evaluation) or a description (wrong type). */
  cause: unknown;
}

export type ErrorHook = (error: FieldError) => void;

/** The typed value of each field type. */
export interface FieldValue {
  integer: number;
  duration: number;
  boolean: boolean;
  string: string;
  optionalString: string | null;
  constantList: string[];
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
}

interface CompiledField {
  schema: FieldSchema;
  /** The configured block, or the default. */
  block: BlockInput;
  isDefault: boolean;
  program: Program;
  fallback: Program;
}

const defaults = new Map<string, Program>();

/** The compiled default of a field (compiled once per process). */
function defaultProgram(object: string, field: string, schema: FieldSchema): Program {
  const key = object + '.' + field;
  let p = defaults.get(key);
  if (p === undefined) {
    p = compileField(object, field, schema, schema.default);
    defaults.set(key, p);
  }
  return p;
}

// Every default compiles in its field's context when the schema is loaded.
for (const [object, schema] of Object.entries(SCHEMA)) {
  for (const [field, fieldSchema] of Object.entries(schema.fields)) defaultProgram(object, field, fieldSchema);
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

function readAs(type: FieldType, schema: FieldSchema, v: HostValue | null): FieldValue[FieldType] | undefined {
  switch (type) {
    case 'integer':
      return asInteger(v);
    case 'duration':
      return asDuration(v);
    case 'boolean':
      return asBoolean(v);
    case 'string':
      return asString(v);
    case 'optionalString':
      return v === null ? undefined : (asString(v) ?? null);
    case 'constantList':
      return asConstantList(v, schema.constants ? CONSTANT_GROUPS[schema.constants] : undefined);
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
   * defaults). Throws ConfigError for an unknown field or a block that does not compile;
   * nothing is half-applied.
   */
  constructor(name: string, values: Readonly<Record<string, BlockInput>> = {}) {
    const schema = SCHEMA[name];
    if (schema === undefined || !Object.prototype.hasOwnProperty.call(SCHEMA, name)) throw new ConfigError(name, '*', 'unknown object');
    for (const field of Object.keys(values)) {
      if (!Object.prototype.hasOwnProperty.call(schema.fields, field)) throw new ConfigError(name, field, 'unknown field');
    }
    const fields = new Map<string, CompiledField>();
    for (const [field, fieldSchema] of Object.entries(schema.fields)) {
      const fallback = defaultProgram(name, field, fieldSchema);
      const configured = Object.prototype.hasOwnProperty.call(values, field) ? values[field] : undefined;
      const program = configured === undefined ? fallback : compileField(name, field, fieldSchema, configured);
      fields.set(field, { schema: fieldSchema, block: configured ?? fieldSchema.default, isDefault: configured === undefined, program, fallback });
    }
    this.name = name;
    this.schema = schema;
    this.fields = fields;
  }

  /** The block of a field as configured (or its default). */
  block(field: string): BlockInput {
    return this.field(field).block;
  }

  /** Every field's block, as stored and returned by the API. */
  blocks(): Record<string, BlockInput> {
    return Object.fromEntries([...this.fields].map(([name, f]) => [name, f.block]));
  }

  /** Whether a field keeps its default. */
  isDefault(field: string): boolean {
    return this.field(field).isDefault;
  }

  private field(field: string): CompiledField {
    const f = this.fields.get(field);
    if (f === undefined) throw new ConfigError(this.name, field, 'unknown field');
    return f;
  }

  /**
   * Evaluates a field as its type. No value (the wrong type, a refused value, a failed
   * evaluation) is reported to `onError` and the default is used; undefined only when the
   * default has no value either.
   */
  async evaluate<T extends FieldType>(field: string, vars: object, env: Environment = {}, onError?: ErrorHook): Promise<FieldValue[T] | undefined> {
    const f = this.field(field);
    const first = await this.read(f, f.program, field, vars, env, onError);
    if (first !== undefined || f.isDefault) return first as FieldValue[T] | undefined;
    return (await this.read(f, f.fallback, field, vars, env, onError)) as FieldValue[T] | undefined;
  }

  private async read(f: CompiledField, program: Program, field: string, vars: object, env: Environment, onError?: ErrorHook): Promise<unknown> {
    let value: HostValue | null;
    try {
      value = program.isAsync ? await program.evaluateAsync(vars, env) : program.evaluate(vars, env);
    } catch (cause) {
      onError?.({ object: this.name, field, cause });
      return undefined;
    }
    if (value === null) return undefined; // unset: the default applies, nothing to report
    const typed = readAs(f.schema.type, f.schema, value);
    const refused = typed === undefined ? `the value ${JSON.stringify(value)} is not a ${f.schema.type}` : refusal(f.schema, typed);
    if (refused !== null) {
      onError?.({ object: this.name, field, cause: refused });
      return undefined;
    }
    return typed;
  }
}
