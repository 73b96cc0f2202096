/**
 * Closure compiler: turns checked (and optimised) trees into nested JavaScript closures.
 * No code is generated from strings. The shape of the closures decides speed:
 *
 * - conditions compile to *tests* returning JS booleans (no 1/0 boxing and re-testing);
 * - comparisons against a literal read their operand and compare in one closure, with a
 *   fast path for the JS type the host usually supplies;
 * - a known variable is read by its own fixed-name reader (a monomorphic property load),
 *   and literals and variables are fetched inline by their consumer rather than through a
 *   closure call of their own;
 * - `&&`/`||` chains and `+` chains are flat loops, not nested calls;
 * - functions are called with their arguments specialised by arity, and a function may
 *   specialise itself on literal arguments (a CIDR parsed once, a list turned into a set);
 * - an if/then ladder comparing one expression with literals becomes a table lookup.
 *
 * Programs that call host lookups get an asynchronous closure tree in which every subtree
 * without a lookup is still a synchronous closure.
 */
import type { BinaryNode, BinaryOperator, MatchNode, Node } from './ast.js';
import { EvaluationError } from './errors.js';
import type { FunctionSpec } from './functions/index.js';
import { add, BINARY, negate } from './operators.js';
import type { Environment } from './options.js';
import {
  compare,
  constant,
  equals,
  Float,
  fromHost,
  indexValue,
  INT_MAX,
  numValue,
  parseNumber,
  truthy,
  toStr,
  type Value,
} from './values.js';
import { FAST_READERS } from './variable-readers.js';

/** Per-evaluation state: the host's inputs and the capture list. */
export interface State {
  /** The host's variables: an object whose prototype is Object.prototype or null (see Program). */
  vars: Readonly<Record<string, unknown>>;
  env: Environment;
  captures: Value[];
}

export type Closure = (s: State) => Value;
type Reader = (v: Readonly<Record<string, unknown>>) => unknown;

/**
 * Where a consumer takes an operand from: a literal (kind 0), a variable's reader (1) or a
 * closure (2). Consumers keep the three fields in their own closure and call `fetch`,
 * small enough to be inlined, so literals and variables cost no closure call.
 */
interface Source {
  kind: 0 | 1 | 2;
  lit: Value;
  read: Reader;
  get: Closure;
}

const NO_READER: Reader = () => undefined;
const NO_CLOSURE: Closure = () => '';

function fetch(s: State, kind: number, lit: Value, read: Reader, get: Closure): Value {
  return kind === 0 ? lit : kind === 1 ? fromHost(read(s.vars)) : get(s);
}

/** One `+` of a sum: a non-empty string absorbs strings and integers directly (JS prints integers as the language does). */
function sumStep(acc: Value, x: Value): Value {
  if (typeof acc === 'string' && acc.length !== 0 && (typeof x === 'string' || (typeof x === 'number' && x < INT_MAX))) return acc + x;
  return add(acc, x);
}

/** The operand as the host gave it when it is a variable (JS numbers and strings are compared directly). */
function fetchLoose(s: State, kind: number, lit: Value, read: Reader, get: Closure): unknown {
  return kind === 0 ? lit : kind === 1 ? read(s.vars) : get(s);
}
export type Test = (s: State) => boolean;
export type AsyncClosure = (s: State) => Value | Promise<Value>;

const hasOwn = Object.prototype.hasOwnProperty;

/** Operands of a left-deep chain of one operator: `a && b && c` → [a, b, c]. */
function chainOperands(node: BinaryNode): Node[] {
  const out: Node[] = [node.right];
  let left: Node = node.left;
  while (left.kind === 'binary' && left.op === node.op) {
    out.push(left.right);
    left = left.left;
  }
  out.push(left);
  return out.reverse();
}

function readMetric(env: Environment, name: string): Value {
  const m = env.metrics;
  let x: unknown;
  try {
    x = typeof m === 'function' ? m(name) : m !== undefined && m !== null && hasOwn.call(m, name) ? m[name] : undefined;
  } catch {
    x = undefined;
  }
  return new Float(typeof x === 'number' ? x : 0);
}

const COMPARISONS = new Set<BinaryOperator>(['==', '!=', '<', '<=', '>', '>=']);
const MIRROR: Partial<Record<BinaryOperator, BinaryOperator>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

/** Nodes whose value is always 1 or 0: their value is their test. */
export function isBooleanValued(node: Node, functions?: ReadonlyMap<string, FunctionSpec>): boolean {
  switch (node.kind) {
    case 'call':
      return functions?.get(node.name)?.boolean === true;
    case 'unary':
      return node.op === '!';
    case 'binary':
      if (COMPARISONS.has(node.op) || node.op === '^') return true;
      if (node.op === '&&' || node.op === '||') return isBooleanValued(chainOperands(node)[0]!, functions);
      return false;
    case 'matches':
      return true;
    case 'literal':
      return node.value === 0 || node.value === 1;
    default:
      return false;
  }
}

/** Expressions that read state but change nothing, so evaluating them once or many times is the same. */
function isPureKey(node: Node): boolean {
  switch (node.kind) {
    case 'variable':
    case 'global':
    case 'capture':
    case 'system':
      return true;
    case 'index':
      return isPureKey(node.target) && node.index.kind === 'literal';
    default:
      return false;
  }
}

/** Structural equality of two checked trees, ignoring spans. */
function sameTree(a: Node, b: Node): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'variable':
    case 'global':
    case 'system':
      return a.name === (b as typeof a).name;
    case 'capture':
      return a.index === (b as typeof a).index;
    case 'literal':
      return equals(a.value, (b as typeof a).value) && typeof a.value === typeof (b as typeof a).value;
    case 'index':
      return sameTree(a.target, (b as typeof a).target) && sameTree(a.index, (b as typeof a).index);
    default:
      return false;
  }
}

/** Normalises a host value or a language value for the slow path of a fused comparison. */
function loose(x: unknown): Value {
  return typeof x === 'boolean' ? (x ? 1 : 0) : fromHost(x);
}

export class Compiler {
  /**
   * @param fast use the specialised closures. Without it every node gets the plain
   *   closure of its semantics: the reference the property tests compare against.
   */
  constructor(
    private readonly functions: ReadonlyMap<string, FunctionSpec>,
    private readonly readsCaptures: boolean,
    private readonly fast = true,
  ) {}

  // -------------------------------------------------------------------------
  // Variables and operand sources

  /** Reads the variable from the state's variables object (own properties only). */
  private reader(name: string): Reader {
    if (this.fast && hasOwn.call(FAST_READERS, name)) return FAST_READERS[name]!;
    return (v) => (hasOwn.call(v, name) ? v[name] : undefined);
  }

  private source(node: Node): Source {
    if (this.fast && node.kind === 'literal') return { kind: 0, lit: node.value, read: NO_READER, get: NO_CLOSURE };
    if (this.fast && node.kind === 'variable') return { kind: 1, lit: '', read: this.reader(node.name), get: NO_CLOSURE };
    return { kind: 2, lit: '', read: NO_READER, get: this.compile(node) };
  }

  // -------------------------------------------------------------------------
  // Values

  compile(node: Node): Closure {
    switch (node.kind) {
      case 'literal': {
        const value = node.value;
        return () => value;
      }
      case 'constant': {
        const value = constant(node.name);
        return () => value;
      }
      case 'variable': {
        const read = this.reader(node.name);
        return (s) => fromHost(read(s.vars));
      }
      case 'global': {
        const name = node.name;
        return (s) => {
          const globals = s.env.globals;
          return globals !== undefined && globals !== null && hasOwn.call(globals, name) ? fromHost(globals[name]) : 0;
        };
      }
      case 'capture': {
        const index = node.index;
        return (s) => {
          const c = s.captures[index];
          return c === undefined ? '' : c;
        };
      }
      case 'system': {
        const name = node.name;
        return (s) => {
          const system = s.env.system;
          return system !== undefined && system !== null && hasOwn.call(system, name) ? fromHost(system[name]) : '';
        };
      }
      case 'metric': {
        const name = node.name;
        return (s) => readMetric(s.env, name);
      }
      case 'array': {
        const items = node.items.map((i) => this.compile(i));
        const n = items.length;
        return (s) => {
          const out = new Array<Value>(n);
          for (let i = 0; i < n; i++) out[i] = items[i]!(s);
          return out;
        };
      }
      case 'index':
        return this.index(node.target, node.index);
      case 'unary': {
        if (node.op === '!' && this.fast) {
          const test = this.test(node.operand);
          return (s) => (test(s) ? 0 : 1);
        }
        const operand = this.compile(node.operand);
        return node.op === '!' ? (s) => (truthy(operand(s)) ? 0 : 1) : (s) => negate(operand(s));
      }
      case 'binary':
        return this.binary(node);
      case 'call':
        return this.call(node.name, node.args);
      case 'matches':
        return this.matches(node, this.compile(node.value));
      case 'identifier':
        throw new Error(`internal: unresolved identifier \`${node.name}\``);
    }
  }

  private index(targetNode: Node, indexNode: Node): Closure {
    if (this.fast && indexNode.kind === 'literal' && typeof indexNode.value === 'number' && indexNode.value >= 0) {
      const i = indexNode.value;
      const { kind, lit, read, get } = this.source(targetNode);
      return (s) => {
        const t = fetch(s, kind, lit, read, get);
        if (Array.isArray(t)) return i < t.length ? (t as readonly Value[])[i]! : '';
        return indexValue(t, i);
      };
    }
    const target = this.compile(targetNode);
    const index = this.compile(indexNode);
    return (s) => indexValue(target(s), index(s));
  }

  private binary(node: BinaryNode): Closure {
    const op = node.op;
    if (!this.fast) return this.plainBinary(node);
    if (isBooleanValued(node, this.functions)) {
      const test = this.test(node);
      return (s) => (test(s) ? 1 : 0);
    }
    if (op === '&&' || op === '||') {
      // The first operand is returned itself when it decides; the others are only tested.
      const [head, ...rest] = chainOperands(node);
      const first = this.compile(head!);
      const others = this.chainTest(rest, op);
      return op === '&&'
        ? (s) => {
            const a = first(s);
            return !truthy(a) ? a : others(s) ? 1 : 0;
          }
        : (s) => {
            const a = first(s);
            return truthy(a) ? a : others(s) ? 1 : 0;
          };
    }
    if (op === '+') return this.sum(chainOperands(node));
    const left = this.compile(node.left);
    const right = this.compile(node.right);
    const f = BINARY[op];
    return (s) => f(left(s), right(s));
  }

  /** The reference closure of a binary operator: its table semantics, nothing specialised. */
  private plainBinary(node: BinaryNode): Closure {
    const left = this.compile(node.left);
    const right = this.compile(node.right);
    if (node.op === '&&') {
      return (s) => {
        const a = left(s);
        return truthy(a) ? (truthy(right(s)) ? 1 : 0) : a;
      };
    }
    if (node.op === '||') {
      return (s) => {
        const a = left(s);
        return truthy(a) ? a : truthy(right(s)) ? 1 : 0;
      };
    }
    const f = BINARY[node.op];
    return (s) => f(left(s), right(s));
  }

  /** `a + b + …` left to right, with a fast path while the sum is a non-empty string. */
  private sum(nodes: Node[]): Closure {
    const sources = nodes.map((n) => this.source(n));
    const [a, b, c, d] = sources as [Source, Source, Source?, Source?];
    const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
    const kb = b.kind, lb = b.lit, rb = b.read, gb = b.get;
    // Short sums (the usual `'prefix' + x + '-' + y`) are unrolled.
    if (sources.length === 2) return (s) => add(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb));
    if (sources.length === 3) {
      const kc = c!.kind, lc = c!.lit, rc = c!.read, gc = c!.get;
      return (s) => sumStep(sumStep(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb)), fetch(s, kc, lc, rc, gc));
    }
    if (sources.length === 4) {
      const kc = c!.kind, lc = c!.lit, rc = c!.read, gc = c!.get;
      const kd = d!.kind, ld = d!.lit, rd = d!.read, gd = d!.get;
      return (s) =>
        sumStep(sumStep(sumStep(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb)), fetch(s, kc, lc, rc, gc)), fetch(s, kd, ld, rd, gd));
    }
    const kinds = sources.map((x) => x.kind);
    const lits = sources.map((x) => x.lit);
    const reads = sources.map((x) => x.read);
    const gets = sources.map((x) => x.get);
    const n = nodes.length;
    return (s) => {
      let acc = fetch(s, kinds[0]!, lits[0]!, reads[0]!, gets[0]!);
      for (let i = 1; i < n; i++) acc = sumStep(acc, fetch(s, kinds[i]!, lits[i]!, reads[i]!, gets[i]!));
      return acc;
    };
  }

  private call(name: string, argNodes: Node[]): Closure;
  private call(name: string, argNodes: Node[], asTest: true): Test;
  /** A call with its arguments fetched inline; as a test it returns the truthiness of the result. */
  private call(name: string, argNodes: Node[], asTest = false): Closure | Test {
    const spec = this.functions.get(name)!;
    const literals = argNodes.map((a) => (a.kind === 'literal' ? a.value : undefined));
    const fn = (this.fast ? spec.specialize?.(literals) : undefined) ?? spec.fn;
    if (!fn) throw new Error(`internal: \`${name}\` has no synchronous implementation`);
    const src = argNodes.map((a) => this.source(a));
    switch (src.length) {
      case 0:
        return asTest ? () => truthy(fn()) : () => fn();
      case 1: {
        const [a] = src as [Source];
        const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
        if (asTest) return (s) => truthy(fn(fetch(s, ka, la, ra, ga)));
        return (s) => fn(fetch(s, ka, la, ra, ga));
      }
      case 2: {
        const [a, b] = src as [Source, Source];
        const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
        const kb = b.kind, lb = b.lit, rb = b.read, gb = b.get;
        if (asTest) return (s) => truthy(fn(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb)));
        return (s) => fn(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb));
      }
      case 3: {
        const [a, b, c] = src as [Source, Source, Source];
        const ka = a.kind, la = a.lit, ra = a.read, ga = a.get;
        const kb = b.kind, lb = b.lit, rb = b.read, gb = b.get;
        const kc = c.kind, lc = c.lit, rc = c.read, gc = c.get;
        if (asTest) return (s) => truthy(fn(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb), fetch(s, kc, lc, rc, gc)));
        return (s) => fn(fetch(s, ka, la, ra, ga), fetch(s, kb, lb, rb, gb), fetch(s, kc, lc, rc, gc));
      }
      default:
        if (asTest) return (s) => truthy(fn(...src.map((x) => fetch(s, x.kind, x.lit, x.read, x.get))));
        return (s) => fn(...src.map((x) => fetch(s, x.kind, x.lit, x.read, x.get)));
    }
  }

  private matches(node: MatchNode, value: Closure): Closure {
    const match = matcher(node, this.readsCaptures);
    return (s) => (match(s, value(s)) ? 1 : 0);
  }

  // -------------------------------------------------------------------------
  // Tests: the truthiness of a node as a JS boolean

  test(node: Node): Test {
    if (!this.fast) {
      const value = this.compile(node);
      return (s) => truthy(value(s));
    }
    switch (node.kind) {
      case 'literal': {
        const t = truthy(node.value);
        return () => t;
      }
      case 'constant':
        return () => true;
      case 'variable': {
        const read = this.reader(node.name);
        return (s) => {
          const x = read(s.vars);
          if (typeof x === 'boolean') return x;
          if (typeof x === 'number') return x !== 0;
          if (typeof x === 'string') return x.length !== 0;
          return truthy(fromHost(x));
        };
      }
      case 'unary':
        if (node.op === '!') {
          const t = this.test(node.operand);
          return (s) => !t(s);
        }
        break;
      case 'matches': {
        const match = matcher(node, this.readsCaptures);
        const value = this.compile(node.value);
        return (s) => match(s, value(s));
      }
      case 'call':
        return this.call(node.name, node.args, true);
      case 'binary': {
        const op = node.op;
        if (op === '&&' || op === '||') return this.chainTest(chainOperands(node), op);
        if (op === '^') {
          const a = this.test(node.left);
          const b = this.test(node.right);
          return (s) => a(s) !== b(s);
        }
        if (COMPARISONS.has(op)) return this.comparison(node);
        break;
      }
      default:
        break;
    }
    const value = this.compile(node);
    return (s) => truthy(value(s));
  }

  /** All operands true (`&&`) or any true (`||`), left to right, stopping early. */
  private chainTest(nodes: Node[], op: '&&' | '||'): Test {
    const tests = nodes.map((n) => this.test(n));
    const n = tests.length;
    if (n === 1) return tests[0]!;
    if (n === 2) {
      const [a, b] = tests as [Test, Test];
      return op === '&&' ? (s) => a(s) && b(s) : (s) => a(s) || b(s);
    }
    if (op === '&&') {
      return (s) => {
        for (let i = 0; i < n; i++) if (!tests[i]!(s)) return false;
        return true;
      };
    }
    return (s) => {
      for (let i = 0; i < n; i++) if (tests[i]!(s)) return true;
      return false;
    };
  }

  /** A comparison as a test; against a number or string literal it is fused with its operand. */
  private comparison(node: BinaryNode): Test {
    const op = node.op;
    const fusable = (n: Node): n is Node & { kind: 'literal'; value: number | string } =>
      n.kind === 'literal' && (typeof n.value === 'number' || typeof n.value === 'string');
    if (fusable(node.right)) return fusedComparison(op, this.source(node.left), node.right.value);
    if (fusable(node.left)) return fusedComparison(MIRROR[op]!, this.source(node.right), node.left.value);
    const a = this.compile(node.left);
    const b = this.compile(node.right);
    switch (op) {
      case '==':
        return (s) => equals(a(s), b(s));
      case '!=':
        return (s) => !equals(a(s), b(s));
      case '<':
        return (s) => compare(a(s), b(s)) < 0;
      case '<=':
        return (s) => compare(a(s), b(s)) <= 0;
      case '>':
        return (s) => compare(a(s), b(s)) > 0;
      default:
        return (s) => compare(a(s), b(s)) >= 0;
    }
  }

  // -------------------------------------------------------------------------
  // Blocks

  /**
   * A block's runner. An if/then ladder whose conditions all compare one pure expression
   * with literals (`octets[3] == 2`, `octets[3] == 3`, …) evaluates it once and looks the
   * first matching condition up in a table.
   */
  block(conditions: ReadonlyArray<readonly [Node, Node]>, otherwise: Node | null): (s: State) => Value | undefined {
    const other = otherwise ? this.compile(otherwise) : () => undefined;
    if (conditions.length === 0) return other;
    // Results are fetched like operands: a literal result (the usual case) costs no call.
    const thens = conditions.map(([, then]) => this.source(then));
    const kinds = thens.map((t) => t.kind);
    const lits = thens.map((t) => t.lit);
    const reads = thens.map((t) => t.read);
    const gets = thens.map((t) => t.get);
    const ladder = this.fast ? this.ladder(conditions.map(([when]) => when)) : null;
    if (ladder) {
      return (s) => {
        const i = ladder(s);
        return i >= 0 ? fetch(s, kinds[i]!, lits[i]!, reads[i]!, gets[i]!) : other(s);
      };
    }
    const whens = conditions.map(([when]) => this.test(when));
    const n = whens.length;
    if (n === 1) {
      const when = whens[0]!;
      const [k, l, r, g] = [kinds[0]!, lits[0]!, reads[0]!, gets[0]!];
      return (s) => (when(s) ? fetch(s, k, l, r, g) : other(s));
    }
    if (n === 2) {
      const [w0, w1] = whens as [Test, Test];
      const [k0, l0, r0, g0] = [kinds[0]!, lits[0]!, reads[0]!, gets[0]!];
      const [k1, l1, r1, g1] = [kinds[1]!, lits[1]!, reads[1]!, gets[1]!];
      return (s) => (w0(s) ? fetch(s, k0, l0, r0, g0) : w1(s) ? fetch(s, k1, l1, r1, g1) : other(s));
    }
    return (s) => {
      for (let i = 0; i < n; i++) if (whens[i]!(s)) return fetch(s, kinds[i]!, lits[i]!, reads[i]!, gets[i]!);
      return other(s);
    };
  }

  private ladder(whens: Node[]): ((s: State) => number) | null {
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
    return (s) => {
      const k = get(s);
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

  // -------------------------------------------------------------------------
  // Asynchronous programs

  /** Compiles for evaluateAsync: subtrees without lookups stay synchronous closures. */
  compileAsync(node: Node): { fn: AsyncClosure; async: boolean } {
    const sync = (): { fn: AsyncClosure; async: boolean } => ({ fn: this.compile(node), async: false });
    switch (node.kind) {
      case 'array': {
        const items = node.items.map((i) => this.compileAsync(i));
        if (!items.some((i) => i.async)) return sync();
        return {
          async: true,
          fn: async (s) => {
            const out: Value[] = [];
            for (const i of items) out.push(await i.fn(s));
            return out;
          },
        };
      }
      case 'index': {
        const t = this.compileAsync(node.target);
        const i = this.compileAsync(node.index);
        if (!t.async && !i.async) return sync();
        return { async: true, fn: async (s) => indexValue(await t.fn(s), await i.fn(s)) };
      }
      case 'unary': {
        const o = this.compileAsync(node.operand);
        if (!o.async) return sync();
        return { async: true, fn: async (s) => (node.op === '!' ? (truthy(await o.fn(s)) ? 0 : 1) : negate(await o.fn(s))) };
      }
      case 'binary': {
        const op = node.op;
        if (op === '&&' || op === '||') {
          const operands = chainOperands(node).map((n) => this.compileAsync(n));
          if (!operands.some((o) => o.async)) return sync();
          const isAnd = op === '&&';
          return {
            async: true,
            fn: async (s) => {
              const first = await operands[0]!.fn(s);
              if (truthy(first) !== isAnd) return first;
              for (let i = 1; i < operands.length; i++) if (truthy(await operands[i]!.fn(s)) !== isAnd) return isAnd ? 0 : 1;
              return isAnd ? 1 : 0;
            },
          };
        }
        const l = this.compileAsync(node.left);
        const r = this.compileAsync(node.right);
        if (!l.async && !r.async) return sync();
        const f = BINARY[op];
        return { async: true, fn: async (s) => f(await l.fn(s), await r.fn(s)) };
      }
      case 'call': {
        const args = node.args.map((a) => this.compileAsync(a));
        const spec = this.functions.get(node.name)!;
        if (!spec.async && !args.some((a) => a.async)) return sync();
        const name = node.name;
        return {
          async: true,
          fn: async (s) => {
            const values: Value[] = [];
            for (const a of args) values.push(await a.fn(s));
            if (!spec.async) return spec.fn!(...values);
            try {
              return await spec.asyncFn!(s.env.lookups ?? {}, ...values);
            } catch (e) {
              throw e instanceof EvaluationError ? e : new EvaluationError(name, e);
            }
          },
        };
      }
      case 'matches': {
        const v = this.compileAsync(node.value);
        if (!v.async) return sync();
        const match = matcher(node, this.readsCaptures);
        return { async: true, fn: async (s) => (match(s, await v.fn(s)) ? 1 : 0) };
      }
      default:
        return sync();
    }
  }
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
        return (s) => {
          const x = fetchLoose(s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x === c : equals(loose(x), c);
        };
      case '!=':
        return (s) => {
          const x = fetchLoose(s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x !== c : !equals(loose(x), c);
        };
      case '<':
        return (s) => {
          const x = fetchLoose(s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x < c : slow(x) < 0;
        };
      case '<=':
        return (s) => {
          const x = fetchLoose(s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x <= c : slow(x) <= 0;
        };
      case '>':
        return (s) => {
          const x = fetchLoose(s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x > c : slow(x) > 0;
        };
      default:
        return (s) => {
          const x = fetchLoose(s, kind, lit, read, get);
          return typeof x === 'number' && x < LIMIT && x > -LIMIT ? x >= c : slow(x) >= 0;
        };
    }
  }
  switch (op) {
    case '==':
      return (s) => {
        const x = fetchLoose(s, kind, lit, read, get);
        return typeof x === 'string' ? x === c : equals(loose(x), c);
      };
    case '!=':
      return (s) => {
        const x = fetchLoose(s, kind, lit, read, get);
        return typeof x === 'string' ? x !== c : !equals(loose(x), c);
      };
    case '<':
      return (s) => slow(fetchLoose(s, kind, lit, read, get)) < 0;
    case '<=':
      return (s) => slow(fetchLoose(s, kind, lit, read, get)) <= 0;
    case '>':
      return (s) => slow(fetchLoose(s, kind, lit, read, get)) > 0;
    default:
      return (s) => slow(fetchLoose(s, kind, lit, read, get)) >= 0;
  }
}

/** The match step of `matches`: clears the captures, then records them on a match. */
function matcher(node: MatchNode, recordCaptures: boolean): (s: State, value: Value) => boolean {
  const regex = node.regex;
  if (!recordCaptures) return (_s, value) => regex.test(toStr(value));
  const groups = regex.groupCount();
  return (s, value) => {
    const captures = s.captures;
    captures.length = 0;
    const m = regex.matcher(toStr(value));
    if (!m.find()) return false;
    for (let i = 0; i <= groups; i++) captures.push(m.group(i) ?? '');
    return true;
  };
}
