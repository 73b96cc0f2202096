/**
 * Closure compiler: turns a checked (and optimised) tree into nested JavaScript closures,
 * specialised by arity and by statically known operand kinds. No code is generated from
 * strings. Programs that call host lookups get an asynchronous closure tree, in which
 * every subtree without a lookup still runs as a synchronous closure.
 */
import type { BinaryNode, MatchNode, Node } from './ast.js';
import type { Usage } from './checker.js';
import { EvaluationError } from './errors.js';
import type { FunctionSpec } from './functions/index.js';
import { BINARY, negate } from './operators.js';
import type { Environment } from './options.js';
import { compare, constant, equals, Float, fromHost, indexValue, toStr, truthy, type Value } from './values.js';

/** Per-evaluation state: the host's inputs and the capture list. */
export interface State {
  vars: Readonly<Record<string, unknown>>;
  env: Environment;
  captures: Value[];
}

export type Closure = (s: State) => Value;
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

export class Compiler {
  constructor(
    private readonly functions: ReadonlyMap<string, FunctionSpec>,
    private readonly usage: Usage,
  ) {}

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
        const name = node.name;
        return (s) => {
          const vars = s.vars;
          return hasOwn.call(vars, name) ? fromHost(vars[name]) : '';
        };
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
      case 'index': {
        const target = this.compile(node.target);
        const index = this.compile(node.index);
        return (s) => indexValue(target(s), index(s));
      }
      case 'unary': {
        const operand = this.compile(node.operand);
        return node.op === '!' ? (s) => (truthy(operand(s)) ? 0 : 1) : (s) => negate(operand(s));
      }
      case 'binary':
        return this.binary(node);
      case 'call':
        return this.call(node.name, node.args.map((a) => this.compile(a)));
      case 'matches':
        return this.matches(node, this.compile(node.value));
      case 'identifier':
        throw new Error(`internal: unresolved identifier \`${node.name}\``);
    }
  }

  private binary(node: BinaryNode): Closure {
    const op = node.op;
    if (op === '&&' || op === '||') {
      const operands = chainOperands(node).map((n) => this.compile(n));
      return op === '&&' ? andChain(operands) : orChain(operands);
    }
    const left = this.compile(node.left);
    const right = node.right;
    // Comparisons against a literal: the common `local_port != 25`, `name == 'x'`.
    if (right.kind === 'literal' && (typeof right.value === 'number' || typeof right.value === 'string')) {
      const c = right.value;
      const kind = typeof c;
      switch (op) {
        case '==':
          return (s) => {
            const a = left(s);
            return (typeof a === kind ? a === c : equals(a, c)) ? 1 : 0;
          };
        case '!=':
          return (s) => {
            const a = left(s);
            return (typeof a === kind ? a === c : equals(a, c)) ? 0 : 1;
          };
        default:
          if (kind === 'number' && (op === '<' || op === '<=' || op === '>' || op === '>=')) return numericCompare(op, left, c as number);
      }
    }
    const r = this.compile(right);
    const f = BINARY[op];
    return (s) => f(left(s), r(s));
  }

  private call(name: string, args: Closure[]): Closure {
    const spec = this.functions.get(name)!;
    const fn = spec.fn;
    if (!fn) throw new Error(`internal: \`${name}\` has no synchronous implementation`);
    switch (args.length) {
      case 0:
        return () => fn();
      case 1: {
        const a = args[0]!;
        return (s) => fn(a(s));
      }
      case 2: {
        const a = args[0]!;
        const b = args[1]!;
        return (s) => fn(a(s), b(s));
      }
      case 3: {
        const a = args[0]!;
        const b = args[1]!;
        const c = args[2]!;
        return (s) => fn(a(s), b(s), c(s));
      }
      default:
        return (s) => fn(...args.map((a) => a(s)));
    }
  }

  private matches(node: MatchNode, value: Closure): Closure {
    const match = matcher(node, this.usage.readsCaptures);
    return (s) => match(s, value(s));
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
        const match = matcher(node, this.usage.readsCaptures);
        return { async: true, fn: async (s) => match(s, await v.fn(s)) };
      }
      default:
        return sync();
    }
  }
}

function numericCompare(op: '<' | '<=' | '>' | '>=', left: Closure, c: number): Closure {
  switch (op) {
    case '<':
      return (s) => {
        const a = left(s);
        return (typeof a === 'number' ? a < c : compare(a, c) < 0) ? 1 : 0;
      };
    case '<=':
      return (s) => {
        const a = left(s);
        return (typeof a === 'number' ? a <= c : compare(a, c) <= 0) ? 1 : 0;
      };
    case '>':
      return (s) => {
        const a = left(s);
        return (typeof a === 'number' ? a > c : compare(a, c) > 0) ? 1 : 0;
      };
    case '>=':
      return (s) => {
        const a = left(s);
        return (typeof a === 'number' ? a >= c : compare(a, c) >= 0) ? 1 : 0;
      };
  }
}

/** `a && b && …`: the first operand itself when it is falsy, else 1 when all are truthy, else 0. */
function andChain(operands: Closure[]): Closure {
  const first = operands[0]!;
  if (operands.length === 2) {
    const second = operands[1]!;
    return (s) => {
      const a = first(s);
      if (!truthy(a)) return a;
      return truthy(second(s)) ? 1 : 0;
    };
  }
  const n = operands.length;
  return (s) => {
    const a = first(s);
    if (!truthy(a)) return a;
    for (let i = 1; i < n; i++) if (!truthy(operands[i]!(s))) return 0;
    return 1;
  };
}

/** `a || b || …`: the first operand itself when it is truthy, else 1 when any other is truthy, else 0. */
function orChain(operands: Closure[]): Closure {
  const first = operands[0]!;
  if (operands.length === 2) {
    const second = operands[1]!;
    return (s) => {
      const a = first(s);
      if (truthy(a)) return a;
      return truthy(second(s)) ? 1 : 0;
    };
  }
  const n = operands.length;
  return (s) => {
    const a = first(s);
    if (truthy(a)) return a;
    for (let i = 1; i < n; i++) if (truthy(operands[i]!(s))) return 1;
    return 0;
  };
}

/** The match step of `matches`: clears the captures, then records them on a match. */
function matcher(node: MatchNode, recordCaptures: boolean): (s: State, value: Value) => Value {
  const regex = node.regex;
  if (!recordCaptures) return (_s, value) => (regex.matcher(toStr(value)).find() ? 1 : 0);
  const groups = regex.groupCount();
  return (s, value) => {
    const captures = s.captures;
    captures.length = 0;
    const m = regex.matcher(toStr(value));
    if (!m.find()) return 0;
    for (let i = 0; i <= groups; i++) captures.push(m.group(i) ?? '');
    return 1;
  };
}
