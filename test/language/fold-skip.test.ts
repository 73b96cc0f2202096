/**
 * Constant folding is skipped when the checker finds nothing it could fold. That is only
 * right if folding such a tree is a no-op: for every conformance and corpus expression (and
 * a few near misses), a tree the checker calls not foldable comes back from the folder as
 * the very same object, and a tree it calls foldable is one the folder changes or could.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checker, newUsage } from '../../src/language/check/checker.js';
import { resolveScope, type CompileOptions } from '../../src/language/check/scope.js';
import { foldConstants } from '../../src/language/optimizer/fold-constants.js';
import { normalizeBlock, type BlockInput } from '../../src/language/syntax/block.js';
import { parse } from '../../src/language/syntax/parser.js';
import { HAS_SHARED_CORPUS, ROOT, SHARED } from '../support/helpers.js';

interface Source {
  source: string;
  options: CompileOptions;
}

function blockSources(block: BlockInput, options: CompileOptions): Source[] {
  let b;
  try {
    b = normalizeBlock(block, 10000);
  } catch {
    return []; // an error case of the conformance vectors
  }
  return [...b.conditions.flatMap((c) => [c.if, c.then]), ...(b.else === null ? [] : [b.else])].map((source) => ({ source, options }));
}

function conformance(): Source[] {
  const dir = join(ROOT, 'test', 'conformance');
  const out: Source[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const cases = JSON.parse(readFileSync(join(dir, file), 'utf8')).cases as Array<{ expr?: string; block?: BlockInput; variables?: string | string[] | null; constants?: string | string[] | null }>;
    for (const c of cases) {
      const options: CompileOptions = {};
      if (c.variables !== undefined) options.variables = c.variables;
      if (c.constants !== undefined) options.constants = c.constants;
      if (typeof c.expr === 'string') out.push({ source: c.expr, options });
      if (c.block) out.push(...blockSources(c.block, options));
    }
  }
  return out;
}

function corpus(): Source[] {
  if (!HAS_SHARED_CORPUS) return [];
  const dir = join(SHARED, 'corpus');
  const defaults = JSON.parse(readFileSync(join(dir, 'schema-defaults.json'), 'utf8')).fields as Array<{ variables: string | null; constants: string | null; default: BlockInput | null }>;
  const spam = JSON.parse(readFileSync(join(dir, 'spam-filter-rules.json'), 'utf8')).blocks as Array<{ variables: string; block: BlockInput }>;
  return [
    ...defaults.filter((f) => f.default).flatMap((f) => blockSources(f.default!, { variables: f.variables, constants: f.constants })),
    ...spam.flatMap((b) => blockSources(b.block, { variables: b.variables, constants: null })),
  ];
}

const NEAR_MISSES = [
  'local_port != 25 && is_tls',
  '25 != local_port',
  '1 + local_port',
  'local_port + 1 + 2',
  '-local_port',
  '-5',
  '!0 || is_tls',
  '[]',
  '[local_port, 1]',
  '[1, 2][0]',
  '[local_port][0]',
  "len('abc')",
  'len(rcpt)',
  "starts_with(rcpt, 'a')",
  "contains(['a', 'b'], rcpt)",
  'true',
  "matches('^a', 'abc')",
  "matches('^(a)', rcpt) && $1 == 'a'",
  "system('hostname')",
  '$GLOBAL + 1',
];

/** Each source checked (those that do not compile are left out), with what the checker says of it. */
function checked(sources: Source[]): Array<{ source: string; foldable: boolean; changed: boolean }> {
  const out = [];
  for (const { source, options } of sources) {
    const scope = resolveScope(options);
    let tree;
    let checker;
    try {
      checker = new Checker(source, scope, newUsage());
      tree = checker.check(parse(source, scope.limits));
    } catch {
      continue;
    }
    out.push({ source, foldable: checker.foldable, changed: foldConstants(tree, scope.functions) !== tree });
  }
  return out;
}

describe('skipping constant folding', () => {
  const all = checked([...conformance(), ...corpus(), ...NEAR_MISSES.map((source) => ({ source, options: {} }))]);

  it('skips only trees the folder returns unchanged', () => {
    const wrong = all.filter((c) => !c.foldable && c.changed).map((c) => c.source);
    expect(wrong).toEqual([]);
    // Both kinds are there in numbers (the test would prove nothing otherwise).
    expect(all.filter((c) => c.foldable && c.changed).length).toBeGreaterThan(100);
    expect(all.filter((c) => !c.foldable).length).toBeGreaterThan(HAS_SHARED_CORPUS ? 200 : 10);
  });

  it('tells the near misses apart', () => {
    const foldable = Object.fromEntries(checked(NEAR_MISSES.map((source) => ({ source, options: {} }))).map((c) => [c.source, c.foldable]));
    expect(Object.keys(foldable)).toHaveLength(NEAR_MISSES.length);
    expect(Object.entries(foldable).filter(([, f]) => !f).map(([s]) => s)).toEqual([
      'local_port != 25 && is_tls',
      '25 != local_port',
      '1 + local_port',
      'local_port + 1 + 2',
      '-local_port',
      '[local_port, 1]',
      '[local_port][0]',
      'len(rcpt)',
      "starts_with(rcpt, 'a')",
      'true',
      "matches('^a', 'abc')",
      "matches('^(a)', rcpt) && $1 == 'a'",
      "system('hostname')",
      '$GLOBAL + 1',
    ]);
  });
});
