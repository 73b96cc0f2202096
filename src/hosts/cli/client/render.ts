/**
 * How the client commands show blocks: one line per condition (`if … then …`) and the
 * `else` (a block without conditions is its one expression), and the changes between two
 * blocks as a line diff (`-` old, `+` new), coloured on a terminal unless NO_COLOR is set.
 */
import { diffArrays } from 'diff';
import { renderFix } from '../../../language/index.js';
import type { SchemaObject } from '../../api/client.js';
import { setWarnings } from '../../api/warnings.js';
import { canonicalBlock, type CanonicalBlock } from '../../config/object.js';
import { styles } from '../io.js';

export type Styles = ReturnType<typeof styles>;

/** Two blocks are the same once both are in wire form (a block from a file may be in another accepted form). */
export const sameBlock = (a: CanonicalBlock, b: CanonicalBlock): boolean => JSON.stringify(canonicalBlock(a)) === JSON.stringify(canonicalBlock(b));

/** The lines of a block. */
export function blockLines(block: CanonicalBlock): string[] {
  if (block.match.length === 0) return [block.else === '' ? '(unset)' : block.else];
  return [...block.match.map((c) => `if ${c.if} then ${c.then}`), `else ${block.else}`];
}

/** The changes from one block to another, one line each, indented. */
export function blockDiff(from: CanonicalBlock, to: CanonicalBlock, s: Styles, indent = '    '): string[] {
  const out: string[] = [];
  for (const part of diffArrays(blockLines(from), blockLines(to))) {
    for (const line of part.value) {
      if (part.added) out.push(s.green(`${indent}+ ${line}`));
      else if (part.removed) out.push(s.red(`${indent}- ${line}`));
      else out.push(`${indent}  ${line}`);
    }
  }
  return out;
}

/** One field's change: its name (and whether it becomes or leaves its default), then the diff. */
export function fieldChange(field: string, from: CanonicalBlock, to: CanonicalBlock, toDefault: boolean, fromDefault: boolean, s: Styles): string[] {
  const note = toDefault ? ' (back to its default)' : fromDefault ? ' (was its default)' : '';
  return [`  ${s.bold(field)}${note}`, ...blockDiff(from, to, s)];
}

/**
 * The changes from one configuration of an object to another, field by field: the lines to
 * print and the patch that makes the first into the second (null: back to the default).
 */
export function objectChanges(object: SchemaObject, from: Record<string, CanonicalBlock>, to: Record<string, CanonicalBlock>, s: Styles): { lines: string[]; patch: Record<string, CanonicalBlock | null> } {
  const lines: string[] = [];
  const patch: Record<string, CanonicalBlock | null> = {};
  for (const field of Object.keys(object.fields)) {
    const a = from[field];
    const b = to[field];
    if (a === undefined || b === undefined || sameBlock(a, b)) continue;
    const def = object.defaults[field];
    const toDefault = def !== undefined && sameBlock(b, def);
    patch[field] = toDefault ? null : b;
    lines.push(...fieldChange(field, a, b, toDefault, def !== undefined && sameBlock(a, def), s));
  }
  return { lines, patch };
}

/**
 * The lint warnings a successful `/set` answered for one id, as `lint` prints them: each
 * after a blank line, headed by its field (`prefix` before the field's name).
 */
export function warningLines(result: Record<string, unknown>, id: string, prefix = ''): string {
  let out = '';
  for (const [field, list] of Object.entries(setWarnings(result, id))) {
    for (const w of list) out += `\n${prefix}${field}: ${w.severity}[${w.code}]: ${w.message}\n${w.snippet}${w.fix ? `\n${renderFix(w.line, w.fix)}` : ''}\n`;
  }
  return out;
}
