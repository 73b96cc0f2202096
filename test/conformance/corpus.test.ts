/**
 * The real-world corpus in ../shared/corpus (skipped when it is absent): every block
 * compiles in its own context, prints and re-parses to the same tree, and the language's
 * context tables equal the corpus facts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripSpans } from '../../src/language/syntax/ast.js';
import { ALL_CONSTANTS, ALL_VARIABLES, compile, CONSTANT_GROUPS, parse, print, SYSTEM_NAMES, VARIABLE_GROUPS, type BlockInput } from '../../src/language/index.js';
import { HAS_SHARED_CORPUS, SHARED } from '../support/helpers.js';

interface Entry {
  id: string;
  block: BlockInput;
  variables?: string | null;
  constants?: string | null;
}

function load(): Entry[] {
  const dir = join(SHARED, 'corpus');
  const defaults = JSON.parse(readFileSync(join(dir, 'schema-defaults.json'), 'utf8')).fields as Array<{
    object: string;
    field: string;
    variables: string | null;
    constants: string | null;
    default: BlockInput | null;
  }>;
  const spam = JSON.parse(readFileSync(join(dir, 'spam-filter-rules.json'), 'utf8')).blocks as Array<{ name: string; field: string; variables: string; block: BlockInput }>;
  return [
    ...defaults.filter((f) => f.default).map((f) => ({ id: `${f.object}.${f.field}`, block: f.default!, variables: f.variables, constants: f.constants })),
    ...spam.map((b) => ({ id: `${b.name}.${b.field}`, block: b.block, variables: b.variables })),
  ];
}

function expressions(block: BlockInput): string[] {
  const match = Array.isArray(block.match) ? block.match : Object.values(block.match ?? {});
  return [...match.flatMap((c) => [c.if, c.then]), block.else ?? ''].filter((s) => s.trim() !== '');
}

describe.skipIf(!HAS_SHARED_CORPUS)('shared corpus', () => {
  const entries = HAS_SHARED_CORPUS ? load() : [];

  it('has blocks', () => {
    expect(entries.length).toBeGreaterThan(150);
  });

  it('compiles every block in its context', () => {
    const failures: string[] = [];
    for (const e of entries) {
      try {
        compile(e.block, { variables: e.variables ?? null, constants: e.constants ?? null });
      } catch (err) {
        failures.push(`${e.id}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('prints every expression back to the same tree', () => {
    for (const e of entries) {
      for (const source of expressions(e.block)) {
        const ast = parse(source);
        expect(stripSpans(parse(print(ast))), source).toEqual(stripSpans(ast));
      }
    }
  });

  it('has the language context tables of contexts.json', () => {
    const facts = JSON.parse(readFileSync(join(SHARED, 'corpus', 'contexts.json'), 'utf8'));
    expect(VARIABLE_GROUPS).toEqual(facts.variableGroups);
    expect(CONSTANT_GROUPS).toEqual(facts.constantGroups);
    expect(ALL_VARIABLES).toEqual(facts.allVariables);
    expect(ALL_CONSTANTS).toEqual(facts.allConstants);
    expect(SYSTEM_NAMES).toEqual(facts.systemNames);
  });
});
