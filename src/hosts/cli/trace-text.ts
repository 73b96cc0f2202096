/**
 * A field's evaluation in a few lines (what `simulate` prints under a reply): the value the
 * server uses, read as the field's type, and, for a block with conditions, each condition
 * evaluated with its value and the branch taken.
 *
 *   MtaStageAuth.saslMechanisms = [oauthbearer, xoauth2]
 *       if #1 local_port != 25 && is_tls   false
 *       if #2 local_port != 25             true  → then [oauthbearer, xoauth2]
 *   MtaStageAuth.require = true  ← else local_port != 25
 */
import type { JsonValue } from '../../language/index.js';
import type { BlockTrace, FieldTrace } from '../config/object.js';
import { showValue } from '../config/show.js';

/** A condition's raw value, when it says more than true or false (a string, a list). */
function rawSuffix(value: JsonValue): string {
  return value === 1 || value === 0 ? '' : ` (${JSON.stringify(value)})`;
}

function blockLines(b: BlockTrace, indent: string): string[] {
  const x = b.explanation;
  const label = b.block === 'default' ? 'the default: ' : '';
  if (x === null) return [`${indent}${label}failed: ${b.error ?? 'no value'}`];
  const width = Math.max(0, ...x.conditions.map((c) => c.source.length));
  const lines = x.conditions.map((c) => `${indent}${label}if #${c.condition} ${c.source.padEnd(width)}   ${c.matched ? 'true' : 'false'}${rawSuffix(c.value)}`);
  const taken = x.taken === null ? 'no branch: the block is unset' : x.taken.kind === 'then' ? `then ${x.taken.source}` : `else ${x.taken.source}`;
  if (x.taken?.kind === 'then' && lines.length > 0) lines[lines.length - 1] += `  → ${taken}`;
  else lines.push(`${indent}${label}${taken}`);
  if (b.error !== undefined) lines.push(`${indent}${label}no value: ${b.error}`);
  return lines;
}

/** Where the value came from, when it is not the field's block. */
function origin(t: FieldTrace): string {
  switch (t.from) {
    case 'default':
      return '  (the default)';
    case 'fallback':
      return '  (the fallback)';
    case 'none':
      return '  (nothing gives a value)';
    default:
      return '';
  }
}

/** The lines of one field's trace, each starting with `indent`. */
export function traceLines(t: FieldTrace, indent = ''): string[] {
  const head = `${indent}${t.object}.${t.field} = ${showValue(t.type, t.value)}${origin(t)}`;
  const only = t.blocks.length === 1 ? t.blocks[0]! : undefined;
  // A block of only an `else` that gave its value: one line.
  if (only && only.explanation && only.explanation.conditions.length === 0 && only.explanation.taken?.kind === 'else' && only.error === undefined) {
    return [`${head}  ← else ${only.explanation.taken.source}`];
  }
  return [head, ...t.blocks.flatMap((b) => blockLines(b, `${indent}    `))];
}
