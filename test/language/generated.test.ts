/**
 * The generated files are what their generators in scripts/ write: regenerate with
 * `npm run generate` after changing the inputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the generator is a plain script, without types
import { generate, TARGET } from '../../scripts/generate-variable-readers.mjs';
import { ALL_VARIABLES } from '../../src/language/contexts.js';
import { FAST_READERS } from '../../src/language/compiler/generated/variable-readers.js';

describe('variable readers', () => {
  it('are what scripts/generate-variable-readers.mjs writes from ALL_VARIABLES', () => {
    expect(readFileSync(TARGET as string, 'utf8')).toBe((generate as (names: readonly string[]) => string)(ALL_VARIABLES));
  });

  it('read own properties and never polluted ones', () => {
    const read = FAST_READERS['from.domain']!;
    expect(read({ 'from.domain': 'x.org' })).toBe('x.org');
    expect(read({})).toBeUndefined();
    (Object.prototype as Record<string, unknown>)['from.domain'] = 'evil';
    try {
      expect(read({})).toBeUndefined();
      expect(read({ 'from.domain': 'x.org' })).toBe('x.org');
    } finally {
      delete (Object.prototype as Record<string, unknown>)['from.domain'];
    }
  });
});
