/**
 * Block pass: conditions that are literals after folding decide statically. A falsy one
 * can never be taken and is dropped; a truthy one is always taken, so it becomes the block's
 * `else` and everything after it is unreachable.
 */
import type { Node } from '../syntax/ast.js';
import { truthy } from '../runtime/values.js';

export interface BlockTrees {
  conditions: Array<readonly [Node, Node]>;
  otherwise: Node | null;
}

export function pruneConditions(block: BlockTrees): BlockTrees {
  const conditions: Array<readonly [Node, Node]> = [];
  for (const [when, then] of block.conditions) {
    if (when.kind !== 'literal') conditions.push([when, then]);
    else if (truthy(when.value)) return { conditions, otherwise: then };
  }
  return { conditions, otherwise: block.otherwise };
}
