/**
 * The schema a server holds, as a JSON document for clients that build their forms from it
 * (the web interface): each object's location, description and fields (type, description,
 * context, default, fallback), the variable and constant groups those fields use with their
 * names, and what the caller's token may do with each object. `GET /api/schema`, behind the
 * bearer token like the rest of the API.
 */
import { ALL_VARIABLES, CONSTANT_GROUPS, SYSTEM_NAMES, VARIABLE_GROUPS, type BlockInput, type ValueType } from '../../language/index.js';
import { hasOwn } from '../json.js';
import type { Schema } from '../config/schema.js';

/** Where clients read the schema document. */
export const SCHEMA_PATH = '/api/schema';

export interface FieldDocument {
  type: ValueType;
  description: string;
  /** The variable group of the field's context (null: every variable). */
  variables: string | null;
  /** The constant group (null: none). */
  constants: string | null;
  default: BlockInput;
  /** The value used when neither the block nor the default gives one (absent: none). */
  fallback?: unknown;
  /** The value is sent on an SMTP line: CR and LF are refused. */
  smtpLine?: boolean;
}

export interface ObjectDocument {
  description: string;
  /** Where administrators find it, e.g. `Settings › MTA › Session › AUTH Stage`. */
  location: string;
  singleton: boolean;
  fields: Record<string, FieldDocument>;
  /** What the caller's token may do with the object. */
  access: { get: boolean; update: boolean };
}

export interface SchemaDocument {
  /** Objects in schema order. */
  objects: Record<string, ObjectDocument>;
  /** The groups the fields use, with their names (`null` variables: every variable, under `*`). */
  groups: { variables: Record<string, readonly string[]>; constants: Record<string, readonly string[]> };
  /** The names `system(NAME)` accepts. */
  systemNames: readonly string[];
}

/** Every variable, the key of a field whose `variables` is null. */
export const EVERY_VARIABLE = '*';

/** The document of a schema, for a caller who `may` read (`Get`) or change (`Update`) each object. */
export function describeSchema(schema: Schema, may: (object: string, action: 'Get' | 'Update') => boolean): SchemaDocument {
  const variables: Record<string, readonly string[]> = {};
  const constants: Record<string, readonly string[]> = {};
  const objects: Record<string, ObjectDocument> = {};
  for (const [name, object] of Object.entries(schema)) {
    const fields: Record<string, FieldDocument> = {};
    for (const [fieldName, f] of Object.entries(object.fields)) {
      fields[fieldName] = {
        type: f.type,
        description: f.description,
        variables: f.variables,
        constants: f.constants,
        default: f.default,
        ...(f.fallback !== undefined ? { fallback: f.fallback } : {}),
        ...(f.smtpLine ? { smtpLine: true } : {}),
      };
      if (f.variables === null) variables[EVERY_VARIABLE] = ALL_VARIABLES;
      else if (hasOwn(VARIABLE_GROUPS, f.variables)) variables[f.variables] = VARIABLE_GROUPS[f.variables]!;
      if (f.constants !== null && hasOwn(CONSTANT_GROUPS, f.constants)) constants[f.constants] = CONSTANT_GROUPS[f.constants]!;
    }
    objects[name] = {
      description: object.description,
      location: object.location,
      singleton: object.singleton,
      fields,
      access: { get: may(name, 'Get'), update: may(name, 'Update') },
    };
  }
  return { objects, groups: { variables, constants }, systemNames: SYSTEM_NAMES };
}
