/**
 * The fast closures: the same semantics as the reference closures, in shapes that cost
 * less. No code is generated from strings. What makes them fast:
 *
 * - conditions compile to *tests* returning JS booleans (no 1/0 boxing and re-testing);
 * - comparisons against a literal read their operand and compare in one closure, with a
 *   fast path for the JS type the host usually supplies;
 * - a known variable is read by its own fixed-name reader (a monomorphic property load),
 *   and literals and variables are fetched inline by their consumer rather than through a
 *   closure call of their own;
 * - `&&`/`||` chains and `+` chains are flat loops, short ones unrolled;
 * - functions are called with their arguments specialised by arity, and a function may
 *   specialise itself on literal arguments (a CIDR parsed once, a list turned into a set);
 * - an if/then ladder comparing one expression with literals becomes a table lookup.
 */
import type { FunctionSpec } from '../functions/index.js';
import { add, BINARY_OPERATORS, type BinaryOperator } from '../operators.js';
import { fromHost } from '../runtime/host-values.js';
import { MAX_STRING_LENGTH, stringTooLong } from '../runtime/sizes.js';
import type { State, VariablesObject } from '../runtime/state.js';
import { compare, equals, Float, indexValue, INT_MAX, INT_MIN, numValue, parseNumber, truthy, type Value } from '../runtime/values.js';
import type { BinaryNode, MatchNode, Node } from '../syntax/ast.js';
import { loose } from './loose.js';
import { chainOperands, fastReader, isBooleanValued, isPureKey, leavesOf, sameTree, type Closure, type Reader, type Test } from './operands.js';
import { nativePattern } from './regex-native.js';
import { nativeMatcher, ReferenceCompiler, type BlockRunner, type Matcher } from './reference.js';

/**
 * Where a consumer takes an operand from: a literal (kind 0), a variable's reader (1) or a
 * closure (2). Consumers keep the fields in their own closure and call `fetch`, small
 * enough to be inlined, so literals and variables cost no closure call.
 */
interface Source {
  kind: 0 | 1 | 2;
  lit: Value;
  read: Reader;
  get: Closure;
}

const NO_READER: Reader = () => undefined;
const NO_CLOSURE: Closure = () => '';

function fetch(v: VariablesObject, s: State, kind: number, lit: Value, read: Reader, get: Closure): Value {
  return kind === 0 ? lit : kind === 1 ? fromHost(read(v)) : get(v, s);
}

/** The operand as the host gave it when it is a variable (JS numbers and strings are compared directly). */
function fetchLoose(v: VariablesObject, s: State, kind: number, lit: Value, read: Reader, get: Closure): unknown {
  return kind === 0 ? lit : kind === 1 ? read(v) : get(v, s);
}

/** One `+` of a sum: a non-empty string absorbs strings and integers directly (JS prints integers as the language does). */
function sumStep(acc: Value, x: Value): Value {
  if (typeof acc === 'string' && acc.length !== 0 && (typeof x === 'string' || (typeof x === 'number' && x < INT_MAX))) {
    const r = acc + x;
    return r.length <= MAX_STRING_LENGTH ? r : stringTooLong();
  }
  return add(acc, x);
}

export class FastCompiler extends ReferenceCompiler {
  protected override reader(name: string): Reader {
    return fastReader(name);
  }

  /** Where a consumer fetches a node's value from: inline for literals and variables. */
  private source(node: Node): Source {
    if (node.kind === 'literal') return { kind: 0, lit: node.value, read: NO_READER, get: NO_CLOSURE };
    if (node.kind === 'variable') return { kind: 1, lit: '', read: this.reader(node.name), get: NO_CLOSURE };
    return { kind: 2, lit: '', read: NO_READER, get: this.compile(node) };
  }

  // -------------------------------------------------------------------------
  // Values

  /** The match step: a native RegExp for the patterns proven to match as RE2 does, in linear time (regex-native.ts). */
  override matcher(node: MatchNode): Matcher {
    const native = nativePattern(node.pattern);
    if (native === undefined || native.groups !== node.regex.groupCount()) return super.matcher(node);
    return nativeMatcher(node, native.regex, native.groups, this.readsCaptures);
  }

  protected override build(node: Node): Closure {
    if (node.kind === 'unary' && node.op === '!') {
      const test = this.test(node.operand);
      return (v, s) => (test(v, s) ? 0 : 1);
    }
    return super.build(node);
  }

  protected override index(targetNode: Node, indexNode: Node): Closure {
    if (indexNode.kind === 'literal' && typeof indexNode.value === 'number' && indexNode.value >= 0) {
      const i = indexNode.value;
      const { kind, lit, read, get } = this.source(targetNode);
      return (v, s) => {
        const t = fetch(v, s, kind, lit, read, get);
        if (Array.isArray(t)) return i < t.length ? (t as readonly Value[])[i]! : '';
        return indexValue(t, i);
      };
    }
    return super.index(targetNode, indexNode);
  }

  protected override binary(node: BinaryNode): Closure {
    const op = node.op;
    if (isBooleanValued(node, this.functions)) {
      const test = this.test(node);
      return (v, s) => (test(v, s) ? 1 : 0);
    }
    const shortCircuit = BINARY_OPERATORS[op].shortCircuit;
    if (shortCircuit !== undefined) {
      // The first operand is returned itself when it decides; the others are only tested.
      const [head, ...rest] = chainOperands(node);
      const first = this.compile(head!);
      const others = this.chainTest(rest, shortCircuit);
      return shortCircuit === 'and'
        ? (v, s) => {
            const a = first(v, s);
            return !truthy(a) ? a : others(v, s) ? 1 : 0;
          }
        : (v, s) => {
            const a = first(v, s);
            return truthy(a) ? a : others(v, s) ? 1 : 0;
          };
    }
    if (op === '+') return this.sum(chainOperands(node));
    return super.binary(node);
  }

  /** `a + b + …` left to right, with a fast path while the sum is a non-empty string. */
  private sum(nodes: Node[]): Closure {
    const sources = nodes.map((n) => this.source(n));
    const text = textSum(sources);
    if (text !== undefined) return text;
    const [a, b, c, d] = sources as [Source, Source, Source?, Source?];
    const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
    const kb = b.kind, lb = b.lit, rb = b.read, gb = b.get;
    // Short sums (the usual `'prefix' + x + '-' + y`) are unrolled.
    if (sources.length === 2) return (v, s) => add(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb));
    if (sources.length === 3) {
      const kc = c!.kind, lc = c!.lit, rc = c!.read, gc = c!.get;
      return (v, s) => sumStep(sumStep(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb)), fetch(v, s, kc, lc, rc, gc));
    }
    if (sources.length === 4) {
      const kc = c!.kind, lc = c!.lit, rc = c!.read, gc = c!.get;
      const kd = d!.kind, ld = d!.lit, rd = d!.read, gd = d!.get;
      return (v, s) =>
        sumStep(sumStep(sumStep(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb)), fetch(v, s, kc, lc, rc, gc)), fetch(v, s, kd, ld, rd, gd));
    }
    const kinds = sources.map((x) => x.kind);
    const lits = sources.map((x) => x.lit);
    const reads = sources.map((x) => x.read);
    const gets = sources.map((x) => x.get);
    const n = nodes.length;
    return (v, s) => {
      let acc = fetch(v, s, kinds[0]!, lits[0]!, reads[0]!, gets[0]!);
      for (let i = 1; i < n; i++) acc = sumStep(acc, fetch(v, s, kinds[i]!, lits[i]!, reads[i]!, gets[i]!));
      return acc;
    };
  }

  protected override call(name: string, argNodes: Node[]): Closure;
  protected override call(name: string, argNodes: Node[], asTest: true): Test;
  /** A call with its arguments fetched inline; as a test it returns the truthiness of the result. */
  protected override call(name: string, argNodes: Node[], asTest = false): Closure | Test {
    const spec = this.functions.get(name)!;
    const literals = argNodes.map((a) => (a.kind === 'literal' ? a.value : undefined));
    if (asTest && spec.hostTest !== undefined) {
      const test = this.hostTest(spec.hostTest, argNodes, literals);
      if (test !== undefined) return test;
    }
    const fn = spec.specialize?.(literals) ?? spec.fn;
    if (!fn) throw new Error(`internal: \`${name}\` has no synchronous implementation`);
    const src = argNodes.map((a) => this.source(a));
    switch (src.length) {
      case 0:
        return asTest ? () => truthy(fn()) : () => fn();
      case 1: {
        const [a] = src as [Source];
        const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
        if (asTest) return (v, s) => truthy(fn(fetch(v, s, ka, la, ra, ga)));
        return (v, s) => fn(fetch(v, s, ka, la, ra, ga));
      }
      case 2: {
        const [a, b] = src as [Source, Source];
        const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
        const kb = b.kind, lb = b.lit, rb = b.read, gb = b.get;
        if (asTest) return (v, s) => truthy(fn(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb)));
        return (v, s) => fn(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb));
      }
      case 3: {
        const [a, b, c] = src as [Source, Source, Source];
        const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
        const kb = b.kind, lb = b.lit, rb = b.read, gb = b.get;
        const kc = c.kind, lc = c.lit, rc = c.read, gc = c.get;
        if (asTest) return (v, s) => truthy(fn(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb), fetch(v, s, kc, lc, rc, gc)));
        return (v, s) => fn(fetch(v, s, ka, la, ra, ga), fetch(v, s, kb, lb, rb, gb), fetch(v, s, kc, lc, rc, gc));
      }
      default:
        if (asTest) return (v, s) => truthy(fn(...src.map((x) => fetch(v, s, x.kind, x.lit, x.read, x.get))));
        return (v, s) => fn(...src.map((x) => fetch(v, s, x.kind, x.lit, x.read, x.get)));
    }
  }

  /** A predicate of one variable and literals as a test on the variable's raw value (FunctionSpec.hostTest). */
  private hostTest(make: NonNullable<FunctionSpec['hostTest']>, argNodes: Node[], literals: ReadonlyArray<Value | undefined>): Test | undefined {
    const at = argNodes.findIndex((a) => a.kind === 'variable');
    if (at < 0 || !argNodes.every((a, i) => i === at || a.kind === 'literal')) return undefined;
    const f = make(literals, at);
    if (f === undefined) return undefined;
    const variable = argNodes[at]!;
    const leaves = leavesOf(variable);
    if (leaves !== undefined) return leaves.host(f);
    const read = this.reader((variable as Node & { kind: 'variable' }).name);
    return (v) => f(read(v));
  }

  // -------------------------------------------------------------------------
  // Tests: the truthiness of a node as a JS boolean

  override test(node: Node): Test {
    const ahead = this.preparedClosure(node);
    if (ahead !== undefined) return (v, s) => truthy(ahead(v, s));
    switch (node.kind) {
      case 'literal': {
        const t = truthy(node.value);
        return () => t;
      }
      case 'constant':
        return () => true;
      case 'variable': {
        const leaves = leavesOf(node);
        if (leaves !== undefined) return leaves.test;
        const read = this.reader(node.name);
        return (v) => {
          const x = read(v);
          if (typeof x === 'boolean') return x;
          if (typeof x === 'number') return x !== 0;
          if (typeof x === 'string') return x.length !== 0;
          return truthy(fromHost(x));
        };
      }
      case 'unary':
        if (node.op === '!') {
          const leaves = leavesOf(node.operand);
          if (leaves !== undefined) return leaves.notTest;
          const t = this.test(node.operand);
          return (v, s) => !t(v, s);
        }
        break;
      case 'matches': {
        const match = this.matcher(node as MatchNode);
        const value = this.compile(node.value);
        return (v, s) => match(s, value(v, s));
      }
      case 'call':
        return this.call(node.name, node.args, true);
      case 'binary': {
        const op = node.op;
        const spec = BINARY_OPERATORS[op];
        if (spec.shortCircuit !== undefined) return this.chainTest(chainOperands(node), spec.shortCircuit);
        if (op === '^') {
          const a = this.test(node.left);
          const b = this.test(node.right);
          return (v, s) => a(v, s) !== b(v, s);
        }
        if (spec.mirror !== undefined) return this.comparison(node);
        break;
      }
      default:
        break;
    }
    return super.test(node);
  }

  /** All operands true (`and`) or any true (`or`), left to right, stopping early. */
  private chainTest(nodes: Node[], kind: 'and' | 'or'): Test {
    if (nodes.length === 1) return this.test(nodes[0]!);
    if (nodes.length === 2) return this.twoTests(nodes[0]!, nodes[1]!, kind);
    const tests = nodes.map((n) => this.test(n));
    const n = tests.length;
    if (kind === 'and') {
      return (v, s) => {
        for (let i = 0; i < n; i++) if (!tests[i]!(v, s)) return false;
        return true;
      };
    }
    return (v, s) => {
      for (let i = 0; i < n; i++) if (tests[i]!(v, s)) return true;
      return false;
    };
  }

  /** `a && b` or `a || b`; `(a || b) && c` and `a && (b || c)` (and the same with `||` outside) in one closure. */
  private twoTests(x: Node, y: Node, kind: 'and' | 'or'): Test {
    const inner = kind === 'and' ? 'or' : 'and';
    const left = this.pair(x, inner);
    if (left !== undefined) {
      const [a, b] = left;
      const c = this.test(y);
      return kind === 'and' ? (v, s) => (a(v, s) || b(v, s)) && c(v, s) : (v, s) => (a(v, s) && b(v, s)) || c(v, s);
    }
    const a = this.test(x);
    const right = this.pair(y, inner);
    if (right !== undefined) {
      const [b, c] = right;
      return kind === 'and' ? (v, s) => a(v, s) && (b(v, s) || c(v, s)) : (v, s) => a(v, s) || (b(v, s) && c(v, s));
    }
    const b = this.test(y);
    return kind === 'and' ? (v, s) => a(v, s) && b(v, s) : (v, s) => a(v, s) || b(v, s);
  }

  /** The two operands' tests of a two-operand chain of `kind` (`a || b`), if the node is one. */
  private pair(node: Node, kind: 'and' | 'or'): [Test, Test] | undefined {
    if (node.kind !== 'binary' || BINARY_OPERATORS[node.op].shortCircuit !== kind || this.preparedClosure(node) !== undefined) return undefined;
    const operands = chainOperands(node);
    return operands.length === 2 ? [this.test(operands[0]!), this.test(operands[1]!)] : undefined;
  }

  /** A comparison as a test; against a number or string literal it is fused with its operand. */
  private comparison(node: BinaryNode): Test {
    const op = node.op;
    const fusable = (n: Node): n is Node & { kind: 'literal'; value: number | string } =>
      n.kind === 'literal' && (typeof n.value === 'number' || typeof n.value === 'string');
    if (fusable(node.right)) return this.literalComparison(op, node.left, node.right.value);
    if (fusable(node.left)) return this.literalComparison(BINARY_OPERATORS[op].mirror!, node.right, node.left.value);
    const a = this.compile(node.left);
    const b = this.compile(node.right);
    switch (op) {
      case '==':
        return (v, s) => equals(a(v, s), b(v, s));
      case '!=':
        return (v, s) => !equals(a(v, s), b(v, s));
      case '<':
        return (v, s) => compare(a(v, s), b(v, s)) < 0;
      case '<=':
        return (v, s) => compare(a(v, s), b(v, s)) <= 0;
      case '>':
        return (v, s) => compare(a(v, s), b(v, s)) > 0;
      default:
        return (v, s) => compare(a(v, s), b(v, s)) >= 0;
    }
  }

  /**
   * `operand OP literal`. An operand whose value is 1 or 0 (a comparison in a chain of them)
   * decides the result by its test alone: both results are known at compile time.
   */
  private literalComparison(op: BinaryOperator, operand: Node, c: number | string): Test {
    const leaves = leavesOf(operand);
    if (leaves !== undefined) {
      const leaf = typeof c === 'number' ? leaves.number(op, c) : leaves.string(op, c);
      if (leaf !== undefined) return leaf;
    }
    if (!isBooleanValued(operand, this.functions)) return fusedComparison(op, this.source(operand), c);
    const test = this.test(operand);
    const evaluate = BINARY_OPERATORS[op].evaluate;
    const whenTrue = truthy(evaluate(1, c));
    const whenFalse = truthy(evaluate(0, c));
    return (v, s) => (test(v, s) ? whenTrue : whenFalse);
  }

  // -------------------------------------------------------------------------
  // Blocks

  /**
   * A block's runner. Literal results (the usual case) are fetched inline; an if/then
   * ladder whose conditions all compare one pure expression with literals (`octets[3] ==
   * 2`, `octets[3] == 3`, …) evaluates it once and looks the first matching condition up in
   * a table.
   */
  override block(conditions: ReadonlyArray<readonly [Node, Node]>, otherwise: Node | null): BlockRunner {
    const other = otherwise ? this.compile(otherwise) : () => undefined;
    if (conditions.length === 0) return other;
    const thens = conditions.map(([, then]) => this.source(then));
    const kinds = thens.map((t) => t.kind);
    const lits = thens.map((t) => t.lit);
    const reads = thens.map((t) => t.read);
    const gets = thens.map((t) => t.get);
    const ladder = this.ladder(conditions.map(([when]) => when));
    if (ladder) {
      return (v, s) => {
        const i = ladder(v, s);
        return i >= 0 ? fetch(v, s, kinds[i]!, lits[i]!, reads[i]!, gets[i]!) : other(v, s);
      };
    }
    const whens = conditions.map(([when]) => this.test(when));
    const n = whens.length;
    if (n === 1) {
      const when = whens[0]!;
      const [k, l, r, g] = [kinds[0]!, lits[0]!, reads[0]!, gets[0]!];
      return (v, s) => (when(v, s) ? fetch(v, s, k, l, r, g) : other(v, s));
    }
    if (n === 2) {
      const [w0, w1] = whens as [Test, Test];
      const [k0, l0, r0, g0] = [kinds[0]!, lits[0]!, reads[0]!, gets[0]!];
      const [k1, l1, r1, g1] = [kinds[1]!, lits[1]!, reads[1]!, gets[1]!];
      return (v, s) => (w0(v, s) ? fetch(v, s, k0, l0, r0, g0) : w1(v, s) ? fetch(v, s, k1, l1, r1, g1) : other(v, s));
    }
    return (v, s) => {
      for (let i = 0; i < n; i++) if (whens[i]!(v, s)) return fetch(v, s, kinds[i]!, lits[i]!, reads[i]!, gets[i]!);
      return other(v, s);
    };
  }

  private ladder(whens: Node[]): ((v: VariablesObject, s: State) => number) | null {
    if (whens.length < 4) return null;
    let key: Node | null = null;
    const literals: Array<string | number> = [];
    for (const w of whens) {
      if (w.kind !== 'binary' || w.op !== '==') return null;
      const [k, lit] = w.right.kind === 'literal' ? [w.left, w.right] : [w.right, w.left];
      if (lit.kind !== 'literal' || (typeof lit.value !== 'number' && typeof lit.value !== 'string')) return null;
      if (!isPureKey(k) || (key !== null && !sameTree(key, k))) return null;
      key = k;
      literals.push(lit.value);
    }
    // First condition for each value: numbers (and numeric strings) by number, strings exactly.
    const byNumber = new Map<number, number>();
    const byNumberLiteral = new Map<number, number>();
    const byString = new Map<string, number>();
    literals.forEach((lit, i) => {
      const n = typeof lit === 'number' ? lit : numValue(parseNumber(lit));
      if (n === n && !byNumber.has(n)) byNumber.set(n, i);
      if (typeof lit === 'number' && !byNumberLiteral.has(lit)) byNumberLiteral.set(lit, i);
      if (typeof lit === 'string' && !byString.has(lit)) byString.set(lit, i);
    });
    const get = this.compile(key!);
    return (v, s) => {
      const k = get(v, s);
      if (typeof k === 'number') return byNumber.get(k) ?? -1;
      if (k instanceof Float) return k.value === k.value ? (byNumber.get(k.value) ?? -1) : -1;
      if (typeof k === 'string') {
        const exact = byString.get(k) ?? -1;
        const n = numValue(parseNumber(k));
        const numeric = n === n ? (byNumberLiteral.get(n) ?? -1) : -1;
        return exact < 0 ? numeric : numeric < 0 ? exact : Math.min(exact, numeric);
      }
      return -1;
    };
  }
}

/** A host integer that prints as the language prints it (it is its own language value). */
function isTextInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x < INT_MAX && x >= INT_MIN;
}

/**
 * A text sum: a non-empty string literal followed by literals and variables (`'mx.' + rcpt +
 * '-' + retry_num`). While every term is a string or an integer, the host's values are
 * concatenated as they are, with one length check at the end (a sum of strings only grows);
 * the first other term hands the rest to `sumStep`, as the generic sum does.
 */
function textSum(sources: readonly Source[]): Closure | undefined {
  const head = sources[0]!;
  if (head.kind !== 0 || typeof head.lit !== 'string' || head.lit.length === 0) return undefined;
  if (!sources.every((x) => x.kind !== 2)) return undefined;
  const start = head.lit;
  const kinds = sources.map((x) => x.kind);
  const lits = sources.map((x) => x.lit);
  const reads = sources.map((x) => x.read);
  const n = sources.length;
  const done = (text: string): Value => (text.length <= MAX_STRING_LENGTH ? text : stringTooLong());
  const rest = (v: VariablesObject, text: string, x: unknown, i: number): Value => sumFrom(v, text, kinds[i] === 0 ? (x as Value) : fromHost(x), i + 1, kinds, lits, reads);
  // The usual short sums are unrolled, each term's fields in the closure: one concatenation once every term is known to print.
  const [k1, l1, r1] = [kinds[1]!, lits[1]!, reads[1]!];
  if (n === 2) {
    return (v) => {
      const x1 = k1 === 0 ? l1 : r1(v);
      return typeof x1 === 'string' || isTextInteger(x1) ? done(start + x1) : rest(v, start, x1, 1);
    };
  }
  const [k2, l2, r2] = [kinds[2]!, lits[2]!, reads[2]!];
  if (n === 3) {
    return (v) => {
      const x1 = k1 === 0 ? l1 : r1(v);
      if (!(typeof x1 === 'string' || isTextInteger(x1))) return rest(v, start, x1, 1);
      const x2 = k2 === 0 ? l2 : r2(v);
      return typeof x2 === 'string' || isTextInteger(x2) ? done(start + x1 + x2) : rest(v, start + x1, x2, 2);
    };
  }
  if (n === 4) {
    const [k3, l3, r3] = [kinds[3]!, lits[3]!, reads[3]!];
    return (v) => {
      const x1 = k1 === 0 ? l1 : r1(v);
      if (!(typeof x1 === 'string' || isTextInteger(x1))) return rest(v, start, x1, 1);
      const x2 = k2 === 0 ? l2 : r2(v);
      if (!(typeof x2 === 'string' || isTextInteger(x2))) return rest(v, start + x1, x2, 2);
      const x3 = k3 === 0 ? l3 : r3(v);
      return typeof x3 === 'string' || isTextInteger(x3) ? done(start + x1 + x2 + x3) : rest(v, start + x1 + x2, x3, 3);
    };
  }
  return (v) => {
    let acc = start;
    for (let i = 1; i < n; i++) {
      const x = kinds[i] === 0 ? lits[i] : reads[i]!(v);
      if (typeof x === 'string' || isTextInteger(x)) acc += x;
      else return rest(v, acc, x, i);
    }
    return acc.length <= MAX_STRING_LENGTH ? acc : stringTooLong();
  };
}

/** The rest of a text sum from its first term that is no string or integer (`x`, before term `from`). */
function sumFrom(v: VariablesObject, text: string, x: Value, from: number, kinds: readonly number[], lits: readonly Value[], reads: readonly Reader[]): Value {
  let acc = sumStep(text.length <= MAX_STRING_LENGTH ? text : stringTooLong(), x);
  for (let i = from; i < kinds.length; i++) acc = sumStep(acc, kinds[i] === 0 ? lits[i]! : fromHost(reads[i]!(v)));
  return acc;
}

/**
 * `operand OP literal` as a test. The operand closure may give a raw host value: JS numbers
 * and strings (the usual host types) are compared directly, anything else is converted.
 */
function fusedComparison(op: BinaryOperator, operand: Source, c: number | string): Test {
  const { kind, lit, read, get } = operand;
  const slow = (x: unknown): number => compare(loose(x), c);
  // A JS number inside ±2^63 is already the language integer or float it converts to.
  const LIMIT = 9.2e18;
  if (typeof c === 'number') {
    switch (op) {
      case '==':
        return (v, s) => {
          const x = fetchLoose(v, s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x === c : equals(loose(x), c);
        };
      case '!=':
        return (v, s) => {
          const x = fetchLoose(v, s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x !== c : !equals(loose(x), c);
        };
      case '<':
        return (v, s) => {
          const x = fetchLoose(v, s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x < c : slow(x) < 0;
        };
      case '<=':
        return (v, s) => {
          const x = fetchLoose(v, s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x <= c : slow(x) <= 0;
        };
      case '>':
        return (v, s) => {
          const x = fetchLoose(v, s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x > c : slow(x) > 0;
        };
      default:
        return (v, s) => {
          const x = fetchLoose(v, s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x >= c : slow(x) >= 0;
        };
    }
  }
  switch (op) {
    case '==':
      return (v, s) => {
        const x = fetchLoose(v, s, kind, lit, read, get);
        return typeof x === 'string' ? x === c : equals(loose(x), c);
      };
    case '!=':
      return (v, s) => {
        const x = fetchLoose(v, s, kind, lit, read, get);
        return typeof x === 'string' ? x !== c : !equals(loose(x), c);
      };
    case '<':
      return (v, s) => slow(fetchLoose(v, s, kind, lit, read, get)) < 0;
    case '<=':
      return (v, s) => slow(fetchLoose(v, s, kind, lit, read, get)) <= 0;
    case '>':
      return (v, s) => slow(fetchLoose(v, s, kind, lit, read, get)) > 0;
    default:
      return (v, s) => slow(fetchLoose(v, s, kind, lit, read, get)) >= 0;
  }
}
