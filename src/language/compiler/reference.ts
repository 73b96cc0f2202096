/**
 * The reference closures: every node compiled to the plain closure of its semantics, with
 * nothing specialised. `optimize: false` programs run on these; the property "optimised ≡
 * unoptimised" compares the fast closures against them, so they are the definition the
 * fast paths must agree with.
 */
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../operators.js';
import { HOST_VALUES } from '../runtime/environment.js';
import { fromHost } from '../runtime/host-values.js';
import type { State } from '../runtime/state.js';
import { constant, Float, indexValue, toStr, truthy, type Value } from '../runtime/values.js';
import type { BinaryNode, MatchNode, Node } from '../syntax/ast.js';
import { plainReader, type Closure, type Reader, type Test } from './operands.js';

/** The block's runner: its value for one state, `undefined` when it is unset. */
export type BlockRunner = (s: State) => Value | undefined;

/** The match step of `matches`: clears the captures, then records them on a match (SPEC §8). */
export function matcher(node: MatchNode, recordCaptures: boolean): (s: State, value: Value) => boolean {
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

export class ReferenceCompiler {
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

  /** The closure giving a node's value. */
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
        return (s) => fromHost(HOST_VALUES.global(s.env, name));
      }
      case 'system': {
        const name = node.name;
        return (s) => fromHost(HOST_VALUES.system(s.env, name));
      }
      case 'metric': {
        const name = node.name;
        return (s) => new Float(HOST_VALUES.metric(s.env, name));
      }
      case 'capture': {
        const index = node.index;
        return (s) => {
          const c = s.captures[index];
          return c === undefined ? '' : c;
        };
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
        const operand = this.compile(node.operand);
        const f = UNARY_OPERATORS[node.op].evaluate;
        return (s) => f(operand(s));
      }
      case 'binary':
        return this.binary(node);
      case 'call':
        return this.call(node.name, node.args);
      case 'matches': {
        const match = matcher(node, this.readsCaptures);
        const value = this.compile(node.value);
        return (s) => (match(s, value(s)) ? 1 : 0);
      }
      case 'identifier':
        throw new Error(`internal: unresolved identifier \`${node.name}\``);
    }
  }

  protected index(targetNode: Node, indexNode: Node): Closure {
    const target = this.compile(targetNode);
    const index = this.compile(indexNode);
    return (s) => indexValue(target(s), index(s));
  }

  protected binary(node: BinaryNode): Closure {
    const left = this.compile(node.left);
    const right = this.compile(node.right);
    const spec = BINARY_OPERATORS[node.op];
    if (spec.shortCircuit === 'and') {
      return (s) => {
        const a = left(s);
        return truthy(a) ? (truthy(right(s)) ? 1 : 0) : a;
      };
    }
    if (spec.shortCircuit === 'or') {
      return (s) => {
        const a = left(s);
        return truthy(a) ? a : truthy(right(s)) ? 1 : 0;
      };
    }
    const f = spec.evaluate;
    return (s) => f(left(s), right(s));
  }

  /** A call: every argument evaluated, then the function (SPEC §10). */
  protected call(name: string, argNodes: Node[]): Closure {
    const fn = this.functions.get(name)?.fn;
    if (!fn) throw new Error(`internal: \`${name}\` has no synchronous implementation`);
    const args = argNodes.map((a) => this.compile(a));
    return (s) => fn(...args.map((a) => a(s)));
  }

  /** The truthiness of a node as a JS boolean. */
  test(node: Node): Test {
    const value = this.compile(node);
    return (s) => truthy(value(s));
  }

  /** The block: the first condition that holds selects its `then`, else the `else` (SPEC §1). */
  block(conditions: ReadonlyArray<readonly [Node, Node]>, otherwise: Node | null): BlockRunner {
    const whens = conditions.map(([when]) => this.test(when));
    const thens = conditions.map(([, then]) => this.compile(then));
    const other = otherwise ? this.compile(otherwise) : () => undefined;
    const n = whens.length;
    return (s) => {
      for (let i = 0; i < n; i++) if (whens[i]!(s)) return thens[i]!(s);
      return other(s);
    };
  }
}
