/**
 * What a lint rule sees and how it reports: the parts of a compiled program (their checked
 * trees, where each stands in its block), the field's context and type, and `report`.
 */
import type { BlockPart, Fix } from '../errors/diagnostic.js';
import type { Span } from '../errors/snippet.js';
import type { FunctionSpec } from '../functions/index.js';
import type { ValueType } from '../runtime/typed-readers.js';
import type { Node } from '../syntax/ast.js';

/** One expression string of the program, as the rules see it. */
export interface LintPart {
  /** Its place in the block; undefined for a program compiled from a single expression. */
  part: BlockPart | undefined;
  /** `condition`: an `if`; `result`: a `then`, the `else`, or a single expression. */
  role: 'condition' | 'result';
  source: string;
  /** The checked tree (before optimisation: every node has its span). */
  tree: Node;
}

export interface LintContext {
  /** Every part, in block order (`if` and `then` of each condition, then `else`). */
  readonly parts: readonly LintPart[];
  /** The `if` parts, in order. */
  readonly conditions: readonly LintPart[];
  /** The parts whose value is the block's value: each `then` and the `else`. */
  readonly results: readonly LintPart[];
  /** The variables of the field's context. */
  readonly variables: ReadonlySet<string>;
  /** The name of the context's variable group, when it has one. */
  readonly variableGroup: string | null;
  /** The constants the field accepts. */
  readonly constants: ReadonlySet<string>;
  /** The field's value type, when the host gave it. */
  readonly type: ValueType | undefined;
  /** The functions the program was checked against (built-ins). */
  readonly functions: ReadonlyMap<string, FunctionSpec>;
  /** Records a finding in `part`. */
  report(part: LintPart, span: Span, message: string, fix?: Fix): void;
}

export interface LintRule {
  /** The warning's code (`quoted-variable`, …). */
  code: string;
  /** What the rule finds, in one line (for the docs and `--help`). */
  summary: string;
  run(ctx: LintContext): void;
}
