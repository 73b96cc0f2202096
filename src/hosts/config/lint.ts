/**
 * Lints for configuration fields: the language's `lint` given what the schema says of a
 * field (its type, variable and constant groups). Warnings never block a save.
 */
import { lint, type BlockInput, type Diagnostic, type LintField, type Program } from '../../language/index.js';
import type { ConfigObject } from './object.js';
import type { FieldSchema } from './schema.js';

/** What the lints need to know of a schema field. */
export function lintFieldOf(field: FieldSchema): LintField {
  return { type: field.type, variables: field.variables, constants: field.constants };
}

/** The warnings about a field's compiled program. */
export function lintField(field: FieldSchema, program: Program): Diagnostic[] {
  return lint(program, { field: lintFieldOf(field) });
}

/** The warnings about the fields a patch set (fields restored to their default have none), by field. */
export function lintPatch(object: ConfigObject, patch: Readonly<Record<string, BlockInput | null>>): Record<string, Diagnostic[]> {
  const out: Record<string, Diagnostic[]> = {};
  for (const [field, block] of Object.entries(patch)) {
    if (block === null) continue;
    const found = lintField(object.schema.fields[field]!, object.program(field));
    if (found.length > 0) out[field] = found;
  }
  return out;
}
