/**
 * The metered closures, for programs whose estimated worst case (cost.ts) is over
 * limits.maxCost, and for `explain`: the reference closures, each decorated with what its
 * node costs (as cel-go decorates its interpretables with a cost tracker). Each evaluation
 * counts in its state; past the limit it stops with an EvaluationError of code `budget`.
 * Programs within the limit never run these: their closures pay nothing for the budget.
 */
import { EvaluationError } from '../errors/errors.js';
import { add } from '../operators.js';
import type { State } from '../runtime/state.js';
import type { Value } from '../runtime/values.js';
import type { FunctionSpec } from '../functions/index.js';
import type { BinaryNode, Node } from '../syntax/ast.js';
import type { AsyncDecorator } from './async.js';
import { builtUnits, indexUnits, itemUnits, matchUnits, scanUnits, sortUnits, textUnits } from './cost.js';
import { chainOperands, type AsyncClosure, type Closure } from './operands.js';
import { ReferenceCompiler, subjectOf, type BlockRunner, type Matcher } from './reference.js';

function overBudget(limit: number): never {
  throw new EvaluationError('budget', `the evaluation cost more than ${limit} units (limits.maxCost)`);
}

/** Counts units against the evaluation's budget. */
export function charge(s: State, units: number, limit: number): void {
  if ((s.spent += units) > limit) overBudget(limit);
}

/**
 * A sum folded term by term (`+`, left to right), counting what it builds: a list at each
 * step that copies one, the string once, when it is complete (a sum builds one string).
 */
class Sum {
  /** The accumulator is a string this sum built. */
  private building = false;
  constructor(
    private readonly s: State,
    private readonly limit: number,
    public acc: Value,
  ) {}

  step(x: Value): void {
    const acc = this.acc;
    const r = add(acc, x);
    if (typeof r === 'string') {
      if (r !== acc) this.building = r !== x;
    } else {
      this.end();
      if (Array.isArray(r) && r !== acc && r !== x) charge(this.s, itemUnits(r.length), this.limit);
    }
    this.acc = r;
  }

  end(): Value {
    if (this.building) charge(this.s, textUnits((this.acc as string).length), this.limit);
    this.building = false;
    return this.acc;
  }
}

export class MeteredCompiler extends ReferenceCompiler implements AsyncDecorator {
  constructor(
    functions: ConstructorParameters<typeof ReferenceCompiler>[0],
    readsCaptures: boolean,
    private readonly maxCost: number,
  ) {
    super(functions, readsCaptures);
  }

  /** The block's runner, which starts the count. */
  runner(conditions: ReadonlyArray<readonly [Node, Node]>, otherwise: Node | null): BlockRunner {
    const block = this.block(conditions, otherwise);
    return (v, s) => {
      s.spent = 0;
      return block(v, s);
    };
  }

  protected override build(node: Node): Closure {
    const limit = this.maxCost;
    const inner = super.build(node);
    switch (node.kind) {
      case 'capture':
        return (v, s) => {
          const text = inner(v, s) as string;
          charge(s, 1 + textUnits(text.length), limit);
          return text;
        };
      case 'array': {
        const units = 1 + itemUnits(node.items.length);
        return (v, s) => {
          charge(s, units, limit);
          return inner(v, s);
        };
      }
      case 'binary':
      case 'call':
        // Counted by binary() and call().
        return inner;
      default:
        return (v, s) => {
          charge(s, 1, limit);
          return inner(v, s);
        };
    }
  }

  /** The match step, which counts its steps before it searches. */
  override matcher(node: Node & { kind: 'matches' }): Matcher {
    const match = super.matcher(node);
    const instructions = node.instructions;
    const limit = this.maxCost;
    return (s, value) => {
      const subject = subjectOf(node, value);
      charge(s, matchUnits(subject.length, instructions), limit);
      return match(s, subject);
    };
  }

  protected override binary(node: BinaryNode): Closure {
    const limit = this.maxCost;
    if (node.op === '+') {
      const terms = chainOperands(node).map((n) => this.compile(n));
      const steps = terms.length - 1;
      return (v, s) => {
        charge(s, steps, limit);
        const sum = new Sum(s, limit, terms[0]!(v, s));
        for (let i = 1; i < terms.length; i++) sum.step(terms[i]!(v, s));
        return sum.end();
      };
    }
    return super.binary(node);
  }

  protected override binaryStep(node: BinaryNode, left: Closure, right: Closure): Closure {
    const limit = this.maxCost;
    const inner = super.binaryStep(node, left, right);
    if (node.op === '-') {
      return (v, s) => {
        const r = inner(v, s);
        charge(s, 1 + (Array.isArray(r) ? itemUnits(r.length) : 0), limit);
        return r;
      };
    }
    return (v, s) => {
      charge(s, 1, limit);
      return inner(v, s);
    };
  }

  protected override call(name: string, argNodes: Node[]): Closure {
    const spec = this.functions.get(name)!;
    const fn = spec.fn!;
    const { builds, scans, indexes } = spec;
    const args = argNodes.map((a) => this.compile(a));
    const limit = this.maxCost;
    if (builds === undefined && scans === undefined && !indexes) {
      return (v, s) => {
        charge(s, 1, limit);
        return fn(...args.map((a) => a(v, s)));
      };
    }
    return (v, s) => {
      const values = args.map((a) => a(v, s));
      // What is read and what is sorted is counted before the work, what is built after it.
      let units = 1 + (scans === undefined ? 0 : scanUnits(values, scans)) + (indexes ? indexUnits(values) : 0);
      if (builds === 'sorted') units += sortUnits(Array.isArray(values[0]) ? values[0].length : 1);
      charge(s, units, limit);
      const r = fn(...values);
      if (builds !== undefined && builds !== 'sorted') charge(s, builtUnits(builds, r), limit);
      return r;
    };
  }

  // The decorations of the asynchronous closures (nodes on the way to a host lookup).

  asyncNode(node: Node, fn: AsyncClosure): AsyncClosure {
    const limit = this.maxCost;
    const units = node.kind === 'array' ? 1 + itemUnits(node.items.length) : 1;
    const builds = node.kind === 'call' ? this.functions.get(node.name)?.builds : undefined;

    const subtract = node.kind === 'binary' && node.op === '-';
    return async (v, s) => {
      const r = await fn(v, s);
      const built = builds !== undefined && builds !== 'sorted' ? builtUnits(builds, r) : subtract && Array.isArray(r) ? itemUnits(r.length) : 0;
      charge(s, units + built, limit);
      return r;
    };
  }

  beforeCall(s: State, spec: FunctionSpec, values: readonly Value[]): void {
    let units = (spec.scans === undefined ? 0 : scanUnits(values, spec.scans)) + (spec.indexes ? indexUnits(values) : 0);
    if (spec.builds === 'sorted') units += sortUnits(Array.isArray(values[0]) ? values[0].length : 1);
    charge(s, units, this.maxCost);
  }

  asyncSum(terms: AsyncClosure[]): AsyncClosure {
    const limit = this.maxCost;
    const steps = terms.length - 1;
    return async (v, s) => {
      charge(s, steps, limit);
      const sum = new Sum(s, limit, await terms[0]!(v, s));
      for (let i = 1; i < terms.length; i++) sum.step(await terms[i]!(v, s));
      return sum.end();
    };
  }
}
