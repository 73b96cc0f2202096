/**
 * The optimiser: a list of small passes over the checked tree, each proven by the property
 * that optimised and unoptimised programs agree (test/properties.test.ts).
 */
import type { Node } from '../ast.js';
import type { FunctionSpec } from '../functions/index.js';
import { foldConstants } from './fold-constants.js';

export interface Pass {
  name: string;
  run(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Node;
}

export const PASSES: readonly Pass[] = [{ name: 'fold-constants', run: foldConstants }];

export function optimize(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Node {
  return PASSES.reduce((n, pass) => pass.run(n, functions), node);
}
