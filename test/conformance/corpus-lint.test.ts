/**
 * `mta-expr lint` over the real-world corpus in ../shared/corpus (skipped when it is
 * absent), as a user runs it: one JSON case per block through `--jsonl`, each schema
 * default in its field's context (with the schema's field, so its type, where this
 * project's schema describes it) and each spam filter rule in its own.
 *
 * Both are hand-checked to give no warning: a warning that appears here is either a real
 * finding in the corpus (then record it below) or a false positive (then fix the rule).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/hosts/config/schema.js';
import type { BlockInput } from '../../src/language/index.js';
import { runCli } from '../support/cli.js';
import { HAS_SHARED_CORPUS, SHARED } from '../support/helpers.js';

function cases(): { defaults: string[]; spam: string[] } {
  const dir = join(SHARED, 'corpus');
  const fields = (JSON.parse(readFileSync(join(dir, 'schema-defaults.json'), 'utf8')) as {
    fields: Array<{ object: string; field: string; variables: string | null; constants: string | null; default: BlockInput | null }>;
  }).fields;
  const blocks = (JSON.parse(readFileSync(join(dir, 'spam-filter-rules.json'), 'utf8')) as { blocks: Array<{ variables: string; block: BlockInput }> }).blocks;
  const defaults = fields
    .filter((f) => f.default !== null && typeof f.default.else === 'string')
    .map((f) =>
      JSON.stringify(SCHEMA[f.object]?.fields[f.field] ? { block: f.default, field: `${f.object}.${f.field}` } : { block: f.default, variables: f.variables, constants: f.constants }),
    );
  const spam = blocks.map((b) => JSON.stringify({ block: b.block, variables: b.variables }));
  return { defaults, spam };
}

describe.skipIf(!HAS_SHARED_CORPUS)('mta-expr lint over the shared corpus', () => {
  const { defaults, spam } = HAS_SHARED_CORPUS ? cases() : { defaults: [], spam: [] };

  it.each([
    ['the schema defaults', defaults],
    ['the spam filter rules', spam],
  ])('%s: every block compiles and none draws a warning', (_name, lines) => {
    expect(lines.length).toBeGreaterThan(80);
    const r = runCli(['lint', '--jsonl'], { input: lines.join('\n') + '\n' });
    expect(r.code).toBe(0);
    const answers = r.out.trim().split('\n').map((l) => JSON.parse(l) as { warnings?: unknown[]; error?: unknown });
    expect(answers).toHaveLength(lines.length);
    expect(answers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(answers.flatMap((a, i) => (a.warnings ?? []).map((w) => ({ case: JSON.parse(lines[i]!), warning: w })))).toEqual([]);
    expect(r.err).toBe(`lint: ${lines.length} cases, no warnings\n`);
  });
});
