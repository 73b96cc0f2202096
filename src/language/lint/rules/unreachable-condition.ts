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
    const a = constraint(node.left);
    const b = constraint(node.right);
    if (!a || !b || a.key !== b.key) return undefined;
    return { key: a.key, set: node.op === '&&' ? intersection(a.set, b.set) : union(a.set, b.set) };
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
    steady: isSteady(tree, ctx.functions),
    always: value === undefined ? undefined : truthy(value),
    conjuncts: flatten(tree, '&&'),
    disjunctKeys: new Set(flatten(tree, '||').map(keyOf)),
    constraint: constraint(tree),
  };
}

export const unreachableCondition: LintRule = {
  code: 'unreachable-condition',
  summary: 'a condition that is never chosen: repeated, implied by an earlier one, never true, or after one that is always true',
  run(ctx) {
    const conditions = ctx.conditions.map((part, i) => examine(ctx, part, i + 1));
    const elsePart = ctx.parts.find((p) => p.part?.kind === 'else');
    for (let j = 0; j < conditions.length; j++) {
      const c = conditions[j]!;
      const report = (message: string): void => ctx.report(c.part, c.tree.span, message);
      const alwaysTrue = conditions.slice(0, j).find((e) => e.always === true);
      if (alwaysTrue) {
        report(`condition ${c.number} is never reached: condition ${alwaysTrue.number} is always true`);
        continue;
      }
      if (c.always === false) {
        report(`condition ${c.number} is never true, so its \`then\` is never chosen`);
        continue;
      }
      if (!c.steady) continue;
      const keys = c.conjuncts.map(keyOf);
      const implied = conditions.slice(0, j).find((e) => e.steady && keys.some((k) => e.disjunctKeys.has(k)));
      if (implied) {
        report(
          keyOf(implied.tree) === keyOf(c.tree)
            ? `condition ${c.number} is the same as ${shown(implied)}, which is chosen first`
            : `condition ${c.number} is never chosen: ${shown(implied)} is true whenever it is`,
        );
        continue;
      }
      // Ranges: the values this condition accepts, against those earlier comparisons of the same value took.
      const byKey = new Map<string, NumberSet>();
      for (const k of c.conjuncts) {
        const kc = constraint(k);
        if (kc) byKey.set(kc.key, intersection(byKey.get(kc.key) ?? complement(NONE), kc.set));
      }
      for (const [key, accepts] of byKey) {
        if (isEmpty(accepts)) {
          report(`condition ${c.number} is never true: its comparisons contradict each other`);
          break;
        }
        const earlier = conditions.slice(0, j).filter((e) => e.steady && e.constraint?.key === key && !isEmpty(intersection(e.constraint.set, accepts)));
        const covered = earlier.reduce((u, e) => union(u, e.constraint!.set), NONE);
        if (earlier.length > 0 && isSubset(accepts, covered)) {
          report(
            earlier.length === 1
              ? `condition ${c.number} is never chosen: ${shown(earlier[0]!)} is true whenever it is`
              : `condition ${c.number} is never chosen: conditions ${earlier.map((e) => e.number).join(', ')} are true for every value it accepts`,
          );
          break;
        }
      }
    }
    const alwaysTrue = conditions.find((e) => e.always === true);
    if (alwaysTrue && elsePart) ctx.report(elsePart, elsePart.tree.span, `the \`else\` is never reached: condition ${alwaysTrue.number} is always true`);
  },
};
