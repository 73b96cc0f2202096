/**
 * How the client commands show blocks: one line per condition (`if … then …`) and the
 * `else` (a block without conditions is its one expression), and the changes between two
 * blocks as a line diff (`-` old, `+` new), coloured on a terminal unless NO_COLOR is set.
 */
import { diffArrays } from 'diff';
import { normalizeBlock, type BlockInput } from '../../../language/index.js';
import { styles } from '../io.js';
import type { SchemaObject, WireBlock } from './api.js';

export type Styles = ReturnType<typeof styles>;

/** The wire form of a block given in any accepted form (throws CompileError for a bad shape). */
export function wireBlock(input: BlockInput): WireBlock {
  const n = normalizeBlock(input);
  return { match: n.conditions.map((c) => ({ if: c.if, then: c.then })), else: n.else ?? '' };
}

export const sameBlock = (a: WireBlock, b: WireBlock): boolean => JSON.stringify(wireBlock(a)) === JSON.stringify(wireBlock(b));

/** The lines of a block. */
export function blockLines(block: WireBlock): string[] {
  if (block.match.length === 0) return [block.else === '' ? '(unset)' : block.else];
  return [...block.match.map((c) => `if ${c.if} then ${c.then}`), `else ${block.else}`];
}

/** The changes from one block to another, one line each, indented. */
export function blockDiff(from: WireBlock, to: WireBlock, s: Styles, indent = '    '): string[] {
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
export function fieldChange(field: string, from: WireBlock, to: WireBlock, toDefault: boolean, fromDefault: boolean, s: Styles): string[] {
  const note = toDefault ? ' (back to its default)' : fromDefault ? ' (was its default)' : '';
  return [`  ${s.bold(field)}${note}`, ...blockDiff(from, to, s)];
}

/**
 * The changes from one configuration of an object to another, field by field: the lines to
 * print and the patch that makes the first into the second (null: back to the default).
 */
export function objectChanges(object: SchemaObject, from: Record<string, WireBlock>, to: Record<string, WireBlock>, s: Styles): { lines: string[]; patch: Record<string, WireBlock | null> } {
  const lines: string[] = [];
  const patch: Record<string, WireBlock | null> = {};
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
