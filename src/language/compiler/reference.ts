/**
 * The reference closures: every node compiled to the plain closure of its semantics, with
 * nothing specialised. `optimize: false` programs run on these; the property "optimised ≡
 * unoptimised" compares the fast closures against them, so they are the definition the
 * fast paths must agree with.
 */
import { EvaluationError } from '../errors/errors.js';
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../operators.js';
import { HOST_VALUES } from '../runtime/environment.js';
import { fromHost } from '../runtime/host-values.js';
import type { State, VariablesObject } from '../runtime/state.js';
import { constant, Float, indexValue, toStr, truthy, type Value } from '../runtime/values.js';
import { childrenOf, reduceTree, type BinaryNode, type MatchNode, type Node } from '../syntax/ast.js';
import { plainReader, type Closure, type Reader, type Test } from './operands.js';

/** The block's runner: its value for one state, `undefined` when it is unset. */
export type BlockRunner = (v: VariablesObject, s: State) => Value | undefined;

/** The match step of `matches` (SPEC §8). */
export type Matcher = (s: State, value: Value) => boolean;

/** The string `matches` searches: the value's string form, refused past the node's maximum length. */
export function subjectOf(node: MatchNode, value: Value): string {
  const subject = toStr(value);
  if (subject.length > node.maxLength) {
    throw new EvaluationError('limit', `matches: the value is longer than ${node.maxLength} characters (limits.maxMatchLength)`);
  }
  return subject;
}

/**
 * The match step of `matches` with a native RegExp of the same meaning (regex-native.ts):
 * the same subject, the same captures.
 */
export function nativeMatcher(node: MatchNode, regex: RegExp, groups: number, recordCaptures: boolean): Matcher {
  const max = node.maxLength;
  if (!recordCaptures) return (_s, value) => regex.test(typeof value === 'string' && value.length <= max ? value : subjectOf(node, value));
  return (s, value) => {
    const captures = s.captures;
    captures.length = 0;
    const m = regex.exec(typeof value === 'string' && value.length <= max ? value : subjectOf(node, value));
    if (m === null) return false;
    for (let i = 0; i <= groups; i++) captures.push(m[i] ?? '');
    return true;
  };
}

/** The match step of `matches`: clears the captures, then records them on a match (SPEC §8). */
export function matcher(node: MatchNode, recordCaptures: boolean): Matcher {
  const regex = node.regex;
  const max = node.maxLength;
  if (!recordCaptures) return (_s, value) => regex.test(typeof value === 'string' && value.length <= max ? value : subjectOf(node, value));
  const groups = regex.groupCount();
  return (s, value) => {
    const captures = s.captures;
    captures.length = 0;
    const m = regex.matcher(typeof value === 'string' && value.length <= max ? value : subjectOf(node, value));
    if (!m.find()) return false;
    for (let i = 0; i <= groups; i++) captures.push(m.group(i) ?? '');
    return true;
  };
}

/** Every how many levels of a deep tree `prepare` builds a closure ahead. */
export const PREPARE_STEP = 64;
/** Operators whose left-deep chains every compiler builds in one loop (`binary` here; sums and `&&`/`||` flattened in fast.ts). */
const LOOPED: ReadonlySet<string> = new Set(['+', '-', '*', '/', '&&', '||']);

/** Whether `child` continues a chain of one operator that compilers build in one loop. */
function inLoopedChain(node: Node, child: Node, looped: ReadonlySet<string>): boolean {
  return node.kind === 'binary' && child === node.left && child.kind === 'binary' && child.op === node.op && looped.has(node.op);
}

/**
 * Whether compiling a tree recurses more than `depth` levels (a walk without recursion): a
 * chain of one operator built in one loop counts one level.
 */
function deeperThan(root: Node, depth: number, looped: ReadonlySet<string>): boolean {
  const nodes: Node[] = [root];
  const depths: number[] = [1];
  const push = (child: Node, d: number): void => {
    nodes.push(child);
    depths.push(d);
  };
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const d = depths.pop()!;
    if (d > depth) return true;
    if (node.kind === 'binary') {
      push(node.left, inLoopedChain(node, node.left, looped) ? d : d + 1);
      push(node.right, d + 1);
    } else {
      for (const child of childrenOf(node)) push(child, d + 1);
    }
  }
  return false;
}

/**
 * The nodes of a deep tree lying a multiple of PREPARE_STEP levels above its bottom,
 * deepest first (none for a shallow tree): compilers build these ahead, without recursion,
 * so that compiling the tree recurses at most PREPARE_STEP levels before it finds one built.
 * A chain of one operator that the compiler builds in one loop (`looped`: LOOPED for the
 * synchronous compilers) counts one level, and its links are never checkpoints.
 */
export function checkpoints(root: Node, looped: ReadonlySet<string> = LOOPED): Node[] {
  if (!deeperThan(root, PREPARE_STEP, looped)) return [];
  const out: Node[] = [];
  reduceTree<number>(root, (node, heights) => {
    const children = childrenOf(node);
    let height = 1;
    heights.forEach((h, i) => {
      const child = children[i]!;
      const inChain = inLoopedChain(node, child, looped);
      height = Math.max(height, inChain ? h : h + 1);
      if (h % PREPARE_STEP === 0 && !inChain) out.push(child);
    });
    return height;
  });
  return out;
}

export class ReferenceCompiler {
  /** Closures built ahead by `prepare`, by node. */
  private readonly prepared = new Map<Node, Closure>();

  /**
   * @param functions the function table of the program's scope
   * @param readsCaptures the program reads `$n`, so `matches` must record its captures
   */
  constructor(
    protected readonly functions: ReadonlyMap<string, FunctionSpec>,
    protected readonly readsCaptures: boolean,
  ) {}

  protected reader(name: string): Reader {
    return plainReader(name);
  }

  /**
   * Builds ahead the closures of a deep tree's checkpoints (long chains of comparisons or
   * mixed operators), so that compiling it stays within the stack. A shallow tree is left alone.
   */
  prepare(root: Node): this {
    for (const node of checkpoints(root)) this.prepared.set(node, this.compile(node));
    return this;
  }

  /** The closure giving a node's value. */
  compile(node: Node): Closure {
    return this.preparedClosure(node) ?? this.build(node);
  }

  /** The closure built ahead for a node of a deep tree, if it is one of its checkpoints. */
  protected preparedClosure(node: Node): Closure | undefined {
    return this.prepared.size === 0 ? undefined : this.prepared.get(node);
  }

  /** The match step of a `matches` node. */
  matcher(node: MatchNode): Matcher {
    return matcher(node, this.readsCaptures);
  }

  /** Builds the closure of a node (its children through `compile`). */
  protected build(node: Node): Closure {
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
        return (v) => fromHost(read(v));
      }
      case 'global': {
        const name = node.name;
        return (_v, s) => fromHost(HOST_VALUES.global(s.env, name));
      }
      case 'system': {
        const name = node.name;
        return (_v, s) => fromHost(HOST_VALUES.system(s.env, name));
      }
      case 'metric': {
        const name = node.name;
        return (_v, s) => new Float(HOST_VALUES.metric(s.env, name));
      }
      case 'capture': {
        const index = node.index;
        return (_v, s) => {
          const c = s.captures[index];
          return c === undefined ? '' : c;
        };
      }
      case 'array': {
        const items = node.items.map((i) => this.compile(i));
        const n = items.length;
        return (v, s) => {
          const out = new Array<Value>(n);
          for (let i = 0; i < n; i++) out[i] = items[i]!(v, s);
          return out;
        };
      }
      case 'index':
        return this.index(node.target, node.index);
      case 'unary': {
        const operand = this.compile(node.operand);
        const f = UNARY_OPERATORS[node.op].evaluate;
        return (v, s) => f(operand(v, s));
      }
      case 'binary':
        return this.binary(node);
      case 'call':
        return this.call(node.name, node.args);
      case 'matches': {
        const match = this.matcher(node);
        const value = this.compile(node.value);
        return (v, s) => (match(s, value(v, s)) ? 1 : 0);
      }
      case 'identifier':
        throw new Error(`internal: unresolved identifier \`${node.name}\``);
    }
  }

  protected index(targetNode: Node, indexNode: Node): Closure {
    const target = this.compile(targetNode);
    const index = this.compile(indexNode);
    return (v, s) => indexValue(target(v, s), index(v, s));
  }

  /** A binary node; a left-deep chain of one operator is compiled in one loop, from the bottom up. */
  protected binary(node: BinaryNode): Closure {
    const chain: BinaryNode[] = [node];
    let left = node.left;
    while (left.kind === 'binary' && left.op === node.op) {
      chain.push(left);
      left = left.left;
    }
    let closure = this.compile(left);
    for (let i = chain.length - 1; i >= 0; i--) closure = this.binaryStep(chain[i]!, closure, this.compile(chain[i]!.right));
    return closure;
  }

  /** One binary node, its operands compiled. */
  protected binaryStep(node: BinaryNode, left: Closure, right: Closure): Closure {
    const spec = BINARY_OPERATORS[node.op];
    if (spec.shortCircuit === 'and') {
      return (v, s) => {
        const a = left(v, s);
        return truthy(a) ? (truthy(right(v, s)) ? 1 : 0) : a;
      };
    }
    if (spec.shortCircuit === 'or') {
      return (v, s) => {
        const a = left(v, s);
        return truthy(a) ? a : truthy(right(v, s)) ? 1 : 0;
      };
    }
    const f = spec.evaluate;
    return (v, s) => f(left(v, s), right(v, s));
  }

  /** A call: every argument evaluated, then the function (SPEC §10). */
  protected call(name: string, argNodes: Node[]): Closure {
    const fn = this.functions.get(name)?.fn;
    if (!fn) throw new Error(`internal: \`${name}\` has no synchronous implementation`);
    const args = argNodes.map((a) => this.compile(a));
    return (v, s) => fn(...args.map((a) => a(v, s)));
  }

  /** The truthiness of a node as a JS boolean. */
  test(node: Node): Test {
    const value = this.compile(node);
    return (v, s) => truthy(value(v, s));
  }

  /** The block: the first condition that holds selects its `then`, else the `else` (SPEC §1). */
  block(conditions: ReadonlyArray<readonly [Node, Node]>, otherwise: Node | null): BlockRunner {
    const whens = conditions.map(([when]) => this.test(when));
    const thens = conditions.map(([, then]) => this.compile(then));
    const other = otherwise ? this.compile(otherwise) : () => undefined;
    const n = whens.length;
    return (v, s) => {
      for (let i = 0; i < n; i++) if (whens[i]!(v, s)) return thens[i]!(v, s);
      return other(v, s);
    };
  }
}
