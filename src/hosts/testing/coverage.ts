/**
 * Branch coverage of a configuration, from what was evaluated: every field's block, each
 * condition seen true and seen false, each branch (`then` of a condition, the `else`, or
 * no branch when the block is unset) taken or never. It counts the traces of
 * `ConfigObject.explain` — the walk the engine evaluates, condition by condition — so a
 * condition after one that matched is not counted as seen.
 */
import type { ConfigObjects } from '../config/live.js';
import type { FieldTrace } from '../config/object.js';

export interface ConditionCoverage {
  condition: number;
  source: string;
  /** Times it was evaluated true, and false. */
  true: number;
  false: number;
  line?: number;
}

export interface BranchCoverage {
  /** `then #N`, `else`, or `unset` (no branch: the block has no else). */
  branch: string;
  source: string;
  taken: number;
  line?: number;
}

export interface FieldCoverage {
  object: string;
  field: string;
  /** The field keeps its default block (it has no line in a file). */
  isDefault: boolean;
  evaluated: number;
  conditions: ConditionCoverage[];
  branches: BranchCoverage[];
}

export interface CoverageTotals {
  branches: { taken: number; total: number };
  /** Condition outcomes: each condition seen true, and seen false. */
  outcomes: { seen: number; total: number };
}

/** Where a part of a field's block is in the configuration file: its line, if known. */
export type PartLocator = (object: string, field: string, part: { kind: 'if' | 'then'; condition: number } | { kind: 'else' }) => number | undefined;

export class Coverage {
  private readonly fields = new Map<string, FieldCoverage>();

  /** @param objects the configuration covered: every field of every object, evaluated or not */
  constructor(objects: ConfigObjects, locate: PartLocator = () => undefined) {
    for (const [name, object] of Object.entries(objects)) {
      for (const field of Object.keys(object.schema.fields)) {
        const program = object.program(field);
        const isDefault = object.isDefault(field);
        const at = (part: Parameters<PartLocator>[2]): { line?: number } => {
          const line = isDefault ? undefined : locate(name, field, part);
          return line === undefined ? {} : { line };
        };
        const conditions: ConditionCoverage[] = [];
        const branches: BranchCoverage[] = [];
        let hasElse = false;
        for (const p of program.parts) {
          if (p.part.kind === 'if') conditions.push({ condition: p.part.condition, source: p.source, true: 0, false: 0, ...at(p.part) });
          else if (p.part.kind === 'then') branches.push({ branch: `then #${p.part.condition}`, source: p.source, taken: 0, ...at(p.part) });
          else {
            hasElse = true;
            branches.push({ branch: 'else', source: p.source, taken: 0, ...at(p.part) });
          }
        }
        if (!hasElse) branches.push({ branch: 'unset', source: '', taken: 0 });
        this.fields.set(`${name}.${field}`, { object: name, field, isDefault, evaluated: 0, conditions, branches });
      }
    }
  }

  /** Counts one field's evaluation: its own block (the default tried after a block that gave no value is not the configuration's). */
  add(trace: FieldTrace): void {
    const f = this.fields.get(`${trace.object}.${trace.field}`);
    const block = trace.blocks[0];
    if (f === undefined || block === undefined || block.block !== 'field') return;
    f.evaluated++;
    const x = block.explanation;
    if (x === null) return; // the evaluation failed: no branch was reached
    for (const c of x.conditions) {
      const cov = f.conditions[c.condition - 1];
      if (cov) cov[c.matched ? 'true' : 'false']++;
    }
    const name = x.taken === null ? 'unset' : x.taken.kind === 'then' ? `then #${x.taken.condition}` : 'else';
    const b = f.branches.find((br) => br.branch === name);
    if (b) b.taken++;
  }

  /** Every field, in schema order. */
  report(): FieldCoverage[] {
    return [...this.fields.values()];
  }

  totals(): CoverageTotals {
    let taken = 0;
    let total = 0;
    let seen = 0;
    let outcomes = 0;
    for (const f of this.fields.values()) {
      for (const b of f.branches) {
        total++;
        if (b.taken > 0) taken++;
      }
      for (const c of f.conditions) {
        outcomes += 2;
        seen += (c.true > 0 ? 1 : 0) + (c.false > 0 ? 1 : 0);
      }
    }
    return { branches: { taken, total }, outcomes: { seen, total: outcomes } };
  }
}
