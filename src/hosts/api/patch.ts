/**
 * Patch objects (RFC 8620 §5.3) on expression fields. A key is a property (`maxFailures`,
 * the whole block, or null for the default) or a JSON Pointer path into one, without the
 * leading slash: `maxFailures/else`, `saslMechanisms/match/0/then`, `saslMechanisms/match/1`.
 * `match` is patched in its index-keyed object form: `match/N` sets or (null) removes the
 * condition of index N, a new index adds a condition, and the conditions stay in the order of
 * their indexes. A path to nothing, a path into a value, or two keys one of which is a prefix
 * of the other is `invalidPatch`; the patched block is then validated like any other value.
 *
 * stalwart-cli sends `--field maxFailures/else=5` as the number 5: a number or boolean at an
 * expression position is the expression of that literal.
 */
import type { BlockInput, Condition } from '../../language/index.js';
import type { CanonicalBlock } from '../config/object.js';
import { hasOwn, isObject } from '../json.js';

/** Why a patch cannot be applied: the SetError type and its description. */
export class PatchError extends Error {
  constructor(
    readonly type: 'invalidPatch' | 'invalidProperties',
    message: string,
    readonly properties?: string[],
  ) {
    super(message);
  }
}

/** The reference tokens of a patch key (RFC 6901, with the implicit leading `/`). */
export function pointerTokens(key: string): string[] {
  return key.split('/').map((t) => {
    if (/~(?![01])/.test(t)) throw new PatchError('invalidPatch', `\`${key}\` is not a JSON Pointer path: \`~\` must be followed by 0 or 1`);
    return t.replace(/~1/g, '/').replace(/~0/g, '~');
  });
}

const INDEX = /^(0|[1-9][0-9]*)$/;

/** An expression text at a path: a string, or the literal of a number or boolean. */
function expressionText(value: unknown, key: string, field: string): string {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  throw new PatchError('invalidProperties', `${key}: an expression must be a string, not ${JSON.stringify(value)}`, [field]);
}

/**
 * Applies path patches to a field's current block. `paths` are the tokens after the field
 * name with their values. Returns the patched block (to be validated as any other).
 */
export function patchBlock(field: string, current: CanonicalBlock, paths: ReadonlyArray<{ key: string; tokens: string[]; value: unknown }>): BlockInput {
  const match = new Map<number, Record<string, unknown>>(current.match.map((c, i) => [i, { ...c }]));
  let replacedMatch: unknown = undefined;
  let elseText: string = current.else;
  for (const { key, tokens, value } of paths) {
    const [part, index, leaf, ...beyond] = tokens;
    if (part === 'else') {
      if (tokens.length > 1) throw new PatchError('invalidPatch', `${key}: \`else\` is an expression, there is nothing inside it`);
      elseText = value === null ? '' : expressionText(value, key, field);
    } else if (part === 'match') {
      if (index === undefined) {
        replacedMatch = value === null ? [] : value;
        continue;
      }
      if (!INDEX.test(index)) throw new PatchError('invalidPatch', `${key}: \`${index}\` is not the index of a condition`);
      const n = Number(index);
      if (leaf === undefined) {
        if (value === null) match.delete(n);
        else if (isObject(value)) match.set(n, { ...value });
        else throw new PatchError('invalidProperties', `${key}: a condition is an object {"if": …, "then": …}`, [field]);
        continue;
      }
      const condition = match.get(n);
      if (condition === undefined) throw new PatchError('invalidPatch', `${key}: the block has no condition of index ${index}`);
      if ((leaf !== 'if' && leaf !== 'then') || beyond.length > 0) {
        throw new PatchError('invalidPatch', `${key}: a condition has only \`if\` and \`then\`${beyond.length > 0 ? ', expressions with nothing inside them' : ''}`);
      }
      if (value === null) delete condition[leaf];
      else condition[leaf] = expressionText(value, key, field);
    } else {
      throw new PatchError('invalidPatch', `${key}: a block has only \`match\` and \`else\``);
    }
  }
  if (replacedMatch !== undefined) return { match: replacedMatch as readonly Condition[], else: elseText };
  const conditions = [...match.keys()].sort((a, b) => a - b).map((n) => match.get(n)!);
  return { match: conditions as unknown as Condition[], else: elseText };
}

/**
 * Checks the keys of a patch object: none is the prefix of another. Returns them grouped
 * by the property they start with: the whole value (`value`) or paths into it.
 */
export function groupPatch(patch: Record<string, unknown>): Map<string, { value?: unknown; whole: boolean; paths: Array<{ key: string; tokens: string[]; value: unknown }> }> {
  const keys = Object.keys(patch).map((key) => ({ key, tokens: pointerTokens(key) }));
  for (const a of keys) {
    for (const b of keys) {
      if (a !== b && a.tokens.length < b.tokens.length && a.tokens.every((t, i) => b.tokens[i] === t)) {
        throw new PatchError('invalidPatch', `\`${a.key}\` and \`${b.key}\`: one patches inside the other`);
      }
    }
  }
  const groups = new Map<string, { value?: unknown; whole: boolean; paths: Array<{ key: string; tokens: string[]; value: unknown }> }>();
  for (const { key, tokens } of keys) {
    const [head, ...rest] = tokens;
    const g = groups.get(head!) ?? { whole: false, paths: [] };
    if (rest.length === 0) {
      g.whole = true;
      g.value = patch[key];
    } else g.paths.push({ key, tokens: rest, value: hasOwn(patch, key) ? patch[key] : undefined });
    groups.set(head!, g);
  }
  return groups;
}
