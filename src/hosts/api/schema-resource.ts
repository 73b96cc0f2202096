/**
 * The schema resource a client reads before its first command (`GET /api/schema`, which
 * redirects to `/api/schema/<digest>` so a client can cache it): the objects and their
 * fields in the form the reference's CLI reads (objects, schemas, fields with their types
 * and defaults, forms for the field order, enums), made from the configuration schema.
 *
 * An expression field is an object of type `x:Expression` (`match`, a list of
 * `x:ExpressionMatch` `{if, then}`, and `else`). Each expression field also says, under
 * `expression`, what it evaluates to, the variables and constants of its context, the
 * fallback used when neither the block nor the default gives a value, and whether the value
 * goes on an SMTP line (our CLI's `describe` and the web page read them, through
 * schema-reader.ts; other clients ignore the key). The resource is the same for every
 * caller: what a token may do is in the session (the account's permissions).
 */
import { createHash } from 'node:crypto';
import { CONSTANT_GROUPS, VARIABLE_GROUPS } from '../../language/index.js';
import { defaultBlock } from '../config/object.js';
import type { Schema } from '../config/schema.js';
import { permission } from './tokens.js';

export const EXPRESSION = 'x:Expression';
export const EXPRESSION_MATCH = 'x:ExpressionMatch';

export interface SchemaResource {
  /** The JSON text served. */
  body: string;
  /** Its digest (SHA-256, base64url), the last segment of its URL. */
  digest: string;
}

const text = { type: 'string', format: 'text' };
const property = (description: string, type: unknown) => ({ description, type, update: 'mutable' });
const form = (names: string[]) => ({ sections: [{ fields: names.map((name) => ({ name, label: name })) }] });

/** The schema resource of a configuration schema. */
export function schemaResource(schema: Schema): SchemaResource {
  const objects: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    [EXPRESSION]: { type: 'single', schemaName: EXPRESSION },
    [EXPRESSION_MATCH]: { type: 'single', schemaName: EXPRESSION_MATCH },
  };
  const fields: Record<string, unknown> = {
    [EXPRESSION]: {
      properties: {
        match: property('The conditions, in order: the first whose `if` is true gives the value of its `then`.', { type: 'objectList', objectName: EXPRESSION_MATCH }),
        else: property('The value when no condition is true.', text),
      },
    },
    [EXPRESSION_MATCH]: {
      properties: { if: property('The condition.', text), then: property('The value when the condition is true.', text) },
    },
  };
  const forms: Record<string, unknown> = { [EXPRESSION]: form(['match', 'else']), [EXPRESSION_MATCH]: form(['if', 'then']) };
  const enums: Record<string, unknown> = {};
  for (const [name, object] of Object.entries(schema)) {
    const key = `x:${name}`;
    objects[key] = { type: object.singleton ? 'singleton' : 'object', description: object.description, permissionPrefix: permission(name, 'Get').slice(0, -'Get'.length) };
    schemas[key] = { type: 'single', schemaName: key };
    const properties: Record<string, unknown> = {};
    const defaults: Record<string, unknown> = {};
    for (const [field, f] of Object.entries(object.fields)) {
      properties[field] = {
        ...property(f.description, { type: 'object', objectName: EXPRESSION }),
        expression: {
          type: f.type,
          variables: f.variables,
          variableNames: f.variables === null ? null : (VARIABLE_GROUPS[f.variables] ?? []),
          constants: f.constants,
          constantNames: f.constants === null ? [] : (CONSTANT_GROUPS[f.constants] ?? []),
          ...(f.fallback !== undefined ? { fallback: f.fallback } : {}),
          ...(f.smtpLine ? { smtpLine: true } : {}),
        },
      };
      defaults[field] = defaultBlock(f);
      if (f.constants !== null) enums[f.constants] = (CONSTANT_GROUPS[f.constants] ?? []).map((c) => ({ name: c, label: c }));
    }
    fields[key] = { properties, defaults };
    forms[key] = { title: object.location, ...form(Object.keys(object.fields)) };
  }
  const body = JSON.stringify({ objects, schemas, fields, forms, lists: {}, enums, dashboards: [], layouts: [] });
  return { body, digest: createHash('sha256').update(body).digest('base64url') };
}
