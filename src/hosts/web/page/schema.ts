/**
 * The objects as the page shows them: the server's schema resource (read by the API's own
 * reader, the one the command line uses) with what the caller's token may do with each
 * object, from the permissions the session lists.
 */
import { ALL_VARIABLES, type BlockInput, type ValueType } from '../../../language/index.js';
import type { SchemaObject } from '../../api/schema-reader.js';

export interface FieldDocument {
  type: ValueType;
  description: string;
  /** The variable group of the field's context (null: every variable). */
  variables: string | null;
  /** The constant group (null: none). */
  constants: string | null;
  /** The names of the variables and constants the field may use. */
  variableNames: readonly string[];
  constantNames: readonly string[];
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

/** The objects in schema order. */
export type Objects = Record<string, ObjectDocument>;

/** The page's objects: the singletons of the schema resource, their expression fields, and the token's access. */
export function pageObjects(schema: readonly SchemaObject[], permissions: ReadonlySet<string>): Objects {
  const objects: Objects = {};
  for (const o of schema) {
    if (!o.singleton) continue;
    const fields: Record<string, FieldDocument> = {};
    for (const [name, f] of Object.entries(o.fields)) {
      const x = f.expression;
      const block = o.defaults[name];
      if (x === undefined || block === undefined) continue;
      fields[name] = {
        type: x.type as ValueType,
        description: f.description,
        variables: x.variables,
        constants: x.constants,
        variableNames: x.variableNames ?? ALL_VARIABLES,
        constantNames: x.constantNames,
        default: block,
        ...(x.fallback !== undefined ? { fallback: x.fallback } : {}),
        ...(x.smtpLine ? { smtpLine: true } : {}),
      };
    }
    objects[o.name] = {
      description: o.description,
      location: o.location ?? o.name,
      singleton: o.singleton,
      fields,
      access: { get: permissions.has(`${o.permissionPrefix}Get`), update: permissions.has(`${o.permissionPrefix}Update`) },
    };
  }
  return objects;
}
