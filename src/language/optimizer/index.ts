/**
 * The optimiser: a list of small passes over the checked tree, each proven by the property
 * that optimised and unoptimised programs agree (a property test).
 */
import type { Node } from '../syntax/ast.js';
import type { FunctionSpec } from '../functions/index.js';
import { foldConstants } from './fold-constants.js';
import { pruneConditions, type BlockTrees } from './prune-conditions.js';

/** What the checker found out about a tree that decides which passes can change it. */
export interface TreeFacts {
  /** Whether constant folding may change the tree (Checker.foldable); false only when it cannot. */
  foldable: boolean;
}

export interface Pass {
  name: string;
  run(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Node;
  /** Whether the pass can change a tree with these facts (absent: always run it). */
  applies?(facts: TreeFacts): boolean;
}

export const PASSES: readonly Pass[] = [{ name: 'fold-constants', run: foldConstants, applies: (facts) => facts.foldable }];

/** Runs every pass over a tree; with `facts`, the passes that cannot change it are skipped. */
export function optimize(node: Node, functions: ReadonlyMap<string, FunctionSpec>, facts?: TreeFacts): Node {
  let n = node;
  for (const pass of PASSES) if (facts === undefined || pass.applies === undefined || pass.applies(facts)) n = pass.run(n, functions);
  return n;
}

/** Passes over a whole block, run after every expression of it is optimised. */
export const BLOCK_PASSES: ReadonlyArray<{ name: string; run(block: BlockTrees): BlockTrees }> = [
  { name: 'prune-conditions', run: pruneConditions },
];

export function optimizeBlock(block: BlockTrees): BlockTrees {
  return BLOCK_PASSES.reduce((b, pass) => pass.run(b), block);
}

export type { BlockTrees };
