/**
 * The asynchronous closures, for programs that call host lookups: every subtree without a
 * lookup stays a synchronous closure of the program's compiler; only the nodes on the way
 * to a lookup await.
 */
import { EvaluationError } from '../errors/errors.js';
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../operators.js';
import type { State } from '../runtime/state.js';
import { indexValue, truthy, type Value } from '../runtime/values.js';
import type { Node } from '../syntax/ast.js';
import { chainOperands, type AsyncClosure } from './operands.js';
import { checkpoints, type ReferenceCompiler } from './reference.js';

const NO_LOOPS: ReadonlySet<string> = new Set();

interface Compiled {
  fn: AsyncClosure;
  async: boolean;
}

/** What decorates the asynchronous closures (the cost meter, metered.ts). */
export interface AsyncDecorator {
  /** A node's closure, decorated. */
  asyncNode(node: Node, fn: AsyncClosure): AsyncClosure;
  /** A sum (`+` chain) of these terms. */
  asyncSum(terms: AsyncClosure[]): AsyncClosure;
  /** Before a built-in function is called on arguments that were awaited. */
  beforeCall(s: State, spec: FunctionSpec, values: readonly Value[]): void;
}

export class AsyncCompiler {
  /**
   * @param sync the compiler of the subtrees that call no lookup
   * @param decorator decorates every asynchronous closure (absent: none)
   */
  constructor(
    private readonly sync: ReferenceCompiler,
    private readonly functions: ReadonlyMap<string, FunctionSpec>,
    private readonly decorator?: AsyncDecorator,
  ) {}

  /** Closures built ahead for deep trees (see ReferenceCompiler.prepare). */
  private readonly prepared = new Map<Node, Compiled>();

  /** The closure of a node; a promise only where a lookup is on the way. */
  compile(node: Node): AsyncClosure {
    // This compiler builds no chain in one loop.
    for (const n of checkpoints(node, NO_LOOPS)) this.prepared.set(n, this.node(n));
    return this.node(node).fn;
  }

  private node(node: Node): Compiled {
    const prepared = this.prepared.size === 0 ? undefined : this.prepared.get(node);
    if (prepared !== undefined) return prepared;
    const c = this.undecorated(node);
    return c.async && this.decorator && !(node.kind === 'binary' && node.op === '+') ? { async: true, fn: this.decorator.asyncNode(node, c.fn) } : c;
  }

  private undecorated(node: Node): Compiled {
    const sync = (): Compiled => ({ fn: this.sync.compile(node), async: false });
    switch (node.kind) {
      case 'array': {
        const items = node.items.map((i) => this.node(i));
        if (!items.some((i) => i.async)) return sync();
        return {
          async: true,
          fn: async (v, s) => {
            const out: Value[] = [];
            for (const i of items) out.push(await i.fn(v, s));
            return out;
          },
        };
      }
      case 'index': {
        const t = this.node(node.target);
        const i = this.node(node.index);
        if (!t.async && !i.async) return sync();
        return { async: true, fn: async (v, s) => indexValue(await t.fn(v, s), await i.fn(v, s)) };
      }
      case 'unary': {
        const o = this.node(node.operand);
        if (!o.async) return sync();
        const f = UNARY_OPERATORS[node.op].evaluate;
        return { async: true, fn: async (v, s) => f(await o.fn(v, s)) };
      }
      case 'binary': {
        const spec = BINARY_OPERATORS[node.op];
        if (spec.shortCircuit !== undefined) {
          const operands = chainOperands(node).map((n) => this.node(n));
          if (!operands.some((o) => o.async)) return sync();
          const isAnd = spec.shortCircuit === 'and';
          return {
            async: true,
            fn: async (v, s) => {
              const first = await operands[0]!.fn(v, s);
              if (truthy(first) !== isAnd) return first;
              for (let i = 1; i < operands.length; i++) if (truthy(await operands[i]!.fn(v, s)) !== isAnd) return isAnd ? 0 : 1;
              return isAnd ? 1 : 0;
            },
          };
        }
        if (node.op === '+' && this.decorator) {
          const terms = chainOperands(node).map((n) => this.node(n));
          if (!terms.some((t) => t.async)) return sync();
          return { async: true, fn: this.decorator.asyncSum(terms.map((t) => t.fn)) };
        }
        const l = this.node(node.left);
        const r = this.node(node.right);
        if (!l.async && !r.async) return sync();
        const f = spec.evaluate;
        return { async: true, fn: async (v, s) => f(await l.fn(v, s), await r.fn(v, s)) };
      }
      case 'call': {
        const args = node.args.map((a) => this.node(a));
        const spec = this.functions.get(node.name)!;
        if (!spec.async && !args.some((a) => a.async)) return sync();
        const name = node.name;
        return {
          async: true,
          fn: async (v, s) => {
            const values: Value[] = [];
            for (const a of args) values.push(await a.fn(v, s));
            if (!spec.async) {
              this.decorator?.beforeCall(s, spec, values);
              return spec.fn!(...values);
            }
            try {
              return await spec.asyncFn!(s.env.lookups ?? {}, ...values);
            } catch (e) {
              throw EvaluationError.inFunction(name, e, 'lookup');
            }
          },
        };
      }
      case 'matches': {
        const subject = this.node(node.value);
        if (!subject.async) return sync();
        const match = this.sync.matcher(node);
        return { async: true, fn: async (v, s) => (match(s, await subject.fn(v, s)) ? 1 : 0) };
      }
      default:
        return sync();
    }
  }
}
