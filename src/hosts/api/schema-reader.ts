/**
 * The schema resource (schema-resource.ts) read back: its objects in order, each with its
 * fields in the order of its form, their expression contexts and defaults. One reader for
 * every client: the API client (the client commands, the policy service, the Haraka
 * plugin) and the web page, which bundles it for the browser (so no Node built-in here).
 * Keys a client does not know are ignored, as the reference's CLI ignores ours.
 */
import type { CanonicalBlock } from '../config/object.js';
import { hasOwn, isObject, str } from '../json.js';

/** What an expression field evaluates to, in which context, and what applies when it gives nothing. */
export interface FieldExpression {
  type: string;
  /** The variable group of the field's context (null: every variable; `variableNames` is then null too). */
  variables: string | null;
  variableNames: string[] | null;
  /** The constant group (null: none). */
  constants: string | null;
  constantNames: string[];
  /** The value used when neither the block nor the default gives one (absent: none). */
  fallback?: unknown;
  /** The value is sent on an SMTP line: CR and LF are refused. */
  smtpLine?: boolean;
}

/** What the schema resource says of a field (the part our clients read). */
export interface SchemaField {
  description: string;
  expression?: FieldExpression;
}

/** An object of the schema resource: its description, fields (in order) and defaults. */
export interface SchemaObject {
  name: string;
  description: string;
  /** Where administrators find it, e.g. `Settings › MTA › Session › AUTH Stage` (the form's title). */
  location?: string;
  singleton: boolean;
  /** The permissions of the object are this prefix and `Get` or `Update`. */
  permissionPrefix: string;
  fields: Record<string, SchemaField>;
  defaults: Record<string, CanonicalBlock>;
}

/** The configuration objects (`x:<Object>`) of a schema resource, in its order. */
export function readSchemaResource(doc: Record<string, unknown>): SchemaObject[] {
  const objects = isObject(doc.objects) ? doc.objects : {};
  const fields = isObject(doc.fields) ? doc.fields : {};
  const forms = isObject(doc.forms) ? doc.forms : {};
  return Object.entries(objects).flatMap(([key, o]): SchemaObject[] => {
    if (!isObject(o) || !key.startsWith('x:') || (o.type !== 'singleton' && o.type !== 'object')) return [];
    const f = (isObject(fields[key]) ? fields[key] : {}) as { properties?: Record<string, SchemaField>; defaults?: Record<string, CanonicalBlock> };
    const form = forms[key] as { title?: string; sections?: Array<{ fields: Array<{ name: string }> }> } | undefined;
    const order = form?.sections?.flatMap((s) => s.fields.map((x) => x.name)) ?? Object.keys(f.properties ?? {});
    const properties = f.properties ?? {};
    const ordered = Object.fromEntries([...order, ...Object.keys(properties)].filter((n, i, all) => hasOwn(properties, n) && all.indexOf(n) === i).map((n) => [n, properties[n]!]));
    const name = key.slice(2);
    return [
      {
        name,
        description: str(o.description) ?? '',
        location: form?.title,
        singleton: o.type === 'singleton',
        permissionPrefix: str(o.permissionPrefix) ?? `sys${name}`,
        fields: ordered,
        defaults: f.defaults ?? {},
      },
    ];
  });
}
