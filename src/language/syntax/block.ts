/**
 * If/then/else blocks (SPEC §1): normalising the JSON forms and validating their shape.
 */
import type { BlockPart } from '../errors/diagnostic.js';
import { CompileError } from '../errors/errors.js';

export interface Condition {
  if: string;
  then: string;
}

/** An expression field's value: `match` as a list or in JMAP object form (`{"0": …}`). */
export interface BlockInput {
  match?: readonly Condition[] | Readonly<Record<string, Condition>> | null;
  else?: string | null;
}

export interface NormalBlock {
  conditions: Condition[];
  /** Null when the block is unset (no conditions and an empty `else`). */
  else: string | null;
}

function blockError(message: string, part: BlockPart, source = ''): CompileError {
  return new CompileError({ code: 'invalid-block', message, source, offset: 0, length: Math.max(1, source.length), part });
}

const isBlank = (s: string): boolean => s.trim().length === 0;

/**
 * Validates and normalises a block; throws CompileError naming the faulty part. A block of
 * more than `maxConditions` conditions is refused before any of them is read.
 */
export function normalizeBlock(input: BlockInput, maxConditions = Infinity): NormalBlock {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw blockError('a block must be an object with `match` and `else`', { kind: 'else' });
  }
  for (const key of Object.keys(input)) {
    if (key !== 'match' && key !== 'else') throw blockError(`unknown block property \`${key}\` (expected \`match\` and \`else\`)`, { kind: 'else' });
  }
  const raw = input.match ?? [];
  let list: unknown[];
  const count = Array.isArray(raw) ? raw.length : typeof raw === 'object' ? Object.keys(raw).length : 0;
  if (count > maxConditions) {
    throw new CompileError({
      code: 'limit',
      message: `a block has at most ${maxConditions} conditions (limits.maxConditions); this one has ${count}`,
      source: '',
      offset: 0,
      part: { kind: 'if', condition: maxConditions + 1 },
    });
  }
  if (Array.isArray(raw)) {
    list = raw;
  } else if (typeof raw === 'object') {
    const keys = Object.keys(raw);
    for (const k of keys) {
      if (!/^(0|[1-9][0-9]*)$/.test(k)) throw blockError(`\`match\` key \`${k}\` is not an index`, { kind: 'if', condition: 1 });
    }
    list = keys.sort((a, b) => Number(a) - Number(b)).map((k) => (raw as Record<string, unknown>)[k]);
  } else {
    throw blockError('`match` must be a list of conditions or an object keyed by index', { kind: 'if', condition: 1 });
  }
  const conditions: Condition[] = [];
  list.forEach((c, i) => {
    const n = i + 1;
    if (c === null || typeof c !== 'object') throw blockError(`condition ${n} must be an object with \`if\` and \`then\``, { kind: 'if', condition: n });
    const cond = c as Record<string, unknown>;
    for (const key of Object.keys(cond)) {
      if (key !== 'if' && key !== 'then') throw blockError(`unknown property \`${key}\` of condition ${n} (expected \`if\` and \`then\`)`, { kind: 'if', condition: n });
    }
    for (const part of ['if', 'then'] as const) {
      const text = cond[part];
      if (typeof text !== 'string') throw blockError(`\`${part}\` of condition ${n} must be a string`, { kind: part, condition: n });
      if (isBlank(text)) throw blockError(`\`${part}\` of condition ${n} is empty`, { kind: part, condition: n }, text);
    }
    conditions.push({ if: cond.if as string, then: cond.then as string });
  });
  const elseText = input.else ?? '';
  if (typeof elseText !== 'string') throw blockError('`else` must be a string', { kind: 'else' });
  if (isBlank(elseText)) {
    if (conditions.length > 0) throw blockError('missing `else`: a block with conditions needs an `else` expression', { kind: 'else' }, elseText);
    return { conditions, else: null };
  }
  return { conditions, else: elseText };
}
