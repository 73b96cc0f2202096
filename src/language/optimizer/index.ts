/**
 * The optimiser: a list of small passes over the checked tree, each proven by the property
 * that optimised and unoptimised programs agree (a property test).
 */
import type { Node } from '../syntax/ast.js';
import type { FunctionSpec } from '../functions/index.js';
import { foldConstants } from './fold-constants.js';
import { pruneConditions, type BlockTrees } from './prune-conditions.js';

export interface Pass {
  name: string;
  run(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Node;
}

export const PASSES: readonly Pass[] = [{ name: 'fold-constants', run: foldConstants }];

export function optimize(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Node {
  return PASSES.reduce((n, pass) => pass.run(n, functions), node);
}

/** Passes over a whole block, run after every expression of it is optimised. */
export const BLOCK_PASSES: ReadonlyArray<{ name: string; run(block: BlockTrees): BlockTrees }> = [
  { name: 'prune-conditions', run: pruneConditions },
];

export function optimizeBlock(block: BlockTrees): BlockTrees {
  return BLOCK_PASSES.reduce((b, pass) => pass.run(b), block);
}

export type { BlockTrees };
