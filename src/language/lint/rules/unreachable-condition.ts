/**
 * Conditions that are never chosen: the same condition twice, a condition implied by an
 * earlier one (`retry_num > 5` after `retry_num > 3`, `local_port == 25 && is_tls` after
 * `local_port == 25`), ranges already covered by earlier comparisons of the same value with
 * numbers, a condition that is never true, and everything after one that is always true.
 */
import { Float, truthy } from '../../runtime/values.js';
import type { Node } from '../../syntax/ast.js';
import { comparison, complement, intersection, isEmpty, isSubset, NONE, union, type NumberSet } from '../intervals.js';
import type { LintContext, LintPart, LintRule } from '../rule.js';
import { constantValue, isSteady, keyOf, textOf } from '../walk.js';

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';
const MIRROR: Readonly<Record<Comparison, Comparison>> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function numberOf(node: Node): number | undefined {
  if (node.kind !== 'literal') return undefined;
  if (typeof node.value === 'number') return node.value;
  return node.value instanceof Float ? node.value.value : undefined;
}

/** The condition as a set of numbers one value can have (`retry_num > 3 && retry_num < 9`), if it is one. */
function constraint(node: Node): { key: string; set: NumberSet } | undefined {
  if (node.kind === 'unary' && node.op === '!') {
    const c = constraint(node.operand);
    return c && { key: c.key, set: complement(c.set) };
  }
  if (node.kind !== 'binary') return undefined;
  if (node.op === '&&' || node.op === '||') {
    // The whole chain at once: one union (or a run of intersections), not one per operator.
    const parts = flatten(node, node.op).map(constraint);
    const key = parts[0]?.key;
    if (key === undefined || parts.some((p) => p === undefined || p.key !== key)) return undefined;
    const sets = parts.map((p) => p!.set);
    return { key, set: node.op === '||' ? union(...sets) : sets.reduce(intersection) };
  }
  if (!(node.op in MIRROR)) return undefined;
  const op = node.op as Comparison;
  const right = numberOf(node.right);
  const left = numberOf(node.left);
  if (right !== undefined && left === undefined) return { key: keyOf(node.left), set: comparison(op, right) };
  if (left !== undefined && right === undefined) return { key: keyOf(node.right), set: comparison(MIRROR[op], left) };
  return undefined;
}

function flatten(node: Node, op: '&&' | '||'): Node[] {
  return node.kind === 'binary' && node.op === op ? [...flatten(node.left, op), ...flatten(node.right, op)] : [node];
}

interface Condition {
  part: LintPart;
  number: number;
  tree: Node;
  /** The structural key of the whole condition. */
  key: string;
  steady: boolean;
  always: boolean | undefined;
  conjuncts: Node[];
  disjunctKeys: Set<string>;
  constraint: { key: string; set: NumberSet } | undefined;
}

const shown = (c: Condition): string => `condition ${c.number} (\`${textOf(c.part.source, c.tree)}\`)`;

function examine(ctx: LintContext, part: LintPart, number: number): Condition {
  const tree = part.tree;
  const value = constantValue(tree, ctx.functions);
  return {
    part,
    number,
    tree,
    key: keyOf(tree),
    steady: isSteady(tree, ctx.functions),
    always: value === undefined ? undefined : truthy(value),
    conjuncts: flatten(tree, '&&'),
    disjunctKeys: new Set(flatten(tree, '||').map(keyOf)),
    constraint: constraint(tree),
  };
}

/**
 * Blocks with more conditions than this have their ranges left unchecked (each check is
 * linear in what the earlier conditions cover); repeated and implied conditions are found
 * at any size.
 */
const MAX_RANGE_CONDITIONS = 256;

export const unreachableCondition: LintRule = {
  code: 'unreachable-condition',
  summary: 'a condition that is never chosen: repeated, implied by an earlier one, never true, or after one that is always true',
  run(ctx) {
    const conditions = ctx.conditions.map((part, i) => examine(ctx, part, i + 1));
    const elsePart = ctx.parts.find((p) => p.part?.kind === 'else');
    const checkRanges = conditions.length <= MAX_RANGE_CONDITIONS;
    /** The first steady condition each alternative (a disjunct) was seen in. */
    const firstWith = new Map<string, Condition>();
    /** By compared value: what the earlier conditions that only compare it with numbers cover. */
    const ranges = new Map<string, { covered: NumberSet; from: Condition[] }>();
    let alwaysTrue: Condition | undefined;
    for (const c of conditions) {
      const report = (message: string): void => ctx.report(c.part, c.tree.span, message);
      if (alwaysTrue) {
        report(`condition ${c.number} is never reached: condition ${alwaysTrue.number} is always true`);
        continue;
      }
      if (c.always === false) {
        report(`condition ${c.number} is never true, so its \`then\` is never chosen`);
        continue;
      }
      if (c.steady) {
        const same = firstWith.get(c.key);
        const implied = same ?? c.conjuncts.map((k) => firstWith.get(keyOf(k))).find((e) => e !== undefined);
        if (implied) {
          report(
            implied.key === c.key
              ? `condition ${c.number} is the same as ${shown(implied)}, which is chosen first`
              : `condition ${c.number} is never chosen: ${shown(implied)} is true whenever it is`,
          );
          // What it would cover, the earlier one covers: it is not recorded.
          continue;
        }
        if (checkRanges && checkRange(c, ranges, report)) continue;
        for (const k of c.disjunctKeys) if (!firstWith.has(k)) firstWith.set(k, c);
        if (!firstWith.has(c.key)) firstWith.set(c.key, c);
        if (checkRanges && c.constraint) {
          const entry = ranges.get(c.constraint.key) ?? { covered: NONE, from: [] };
          entry.covered = union(entry.covered, c.constraint.set);
          entry.from.push(c);
          ranges.set(c.constraint.key, entry);
        }
      }
      if (c.always === true) alwaysTrue = c;
    }
    if (alwaysTrue && elsePart) ctx.report(elsePart, elsePart.tree.span, `the \`else\` is never reached: condition ${alwaysTrue.number} is always true`);
  },
};

/** The values this condition accepts, against those earlier comparisons of the same value took; true when it reported. */
function checkRange(c: Condition, ranges: ReadonlyMap<string, { covered: NumberSet; from: Condition[] }>, report: (message: string) => void): boolean {
  const byKey = new Map<string, NumberSet>();
  for (const k of c.conjuncts) {
    const kc = constraint(k);
    if (kc) byKey.set(kc.key, intersection(byKey.get(kc.key) ?? complement(NONE), kc.set));
  }
  for (const [key, accepts] of byKey) {
    if (isEmpty(accepts)) {
      report(`condition ${c.number} is never true: its comparisons contradict each other`);
      return true;
    }
    const earlier = ranges.get(key);
    if (earlier && isSubset(accepts, earlier.covered)) {
      const which = earlier.from.filter((e) => !isEmpty(intersection(e.constraint!.set, accepts)));
      report(
        which.length === 1
          ? `condition ${c.number} is never chosen: ${shown(which[0]!)} is true whenever it is`
          : `condition ${c.number} is never chosen: conditions ${which.map((e) => e.number).join(', ')} are true for every value it accepts`,
      );
      return true;
    }
  }
  return false;
}
