/**
 * Golden error messages: each faulty source renders exactly as recorded in
 * test/golden/errors.json (message, position, and the caret under the fault).
 * Regenerate deliberately with UPDATE_GOLDEN=1 after reviewing the new messages.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError, type BlockInput, type CompileOptions } from '../../src/language/index.js';
import { locate, renderSnippet } from '../../src/language/errors/index.js';
import { ROOT } from '../support/helpers.js';

interface Golden {
  expr?: string;
  block?: BlockInput;
  options?: CompileOptions;
  code: string;
  rendered: string;
}

const file = join(ROOT, 'test', 'language', 'golden', 'errors.json');
const golden = JSON.parse(readFileSync(file, 'utf8')) as Golden[];

function errorOf(g: Golden): CompileError {
  try {
    compile(g.expr ?? g.block!, g.options ?? {});
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error(`no error for ${JSON.stringify(g.expr ?? g.block)}`);
}

describe('golden error messages', () => {
  if (process.env.UPDATE_GOLDEN) {
    for (const g of golden) {
      const e = errorOf(g);
      g.code = e.code;
      g.rendered = e.render();
    }
    writeFileSync(file, JSON.stringify(golden, null, 1) + '\n');
  }
  it.each(golden.map((g) => [JSON.stringify(g.expr ?? g.block), g] as const))('%s', (_label, g) => {
    const e = errorOf(g);
    expect(e.code).toBe(g.code);
    expect(e.render()).toBe(g.rendered);
  });
});

describe('CompileError', () => {
  it('carries code, line, column, offset, part and snippet', () => {
    const e = errorOf({ block: { match: [{ if: 'true', then: '1' }, { if: 'local_port !=\n  25 &&', then: '2' }], else: '3' }, code: '', rendered: '' });
    expect(e).toMatchObject({ code: 'syntax', line: 2, column: 8, offset: 21, part: { kind: 'if', condition: 2 } });
    expect(e.message).toContain('if of condition 2, line 2, column 8');
    expect(e.source).toBe('local_port !=\n  25 &&');
    expect(e.toJSON()).toMatchObject({ code: 'syntax', line: 2, column: 8, part: 'if of condition 2' });
  });

  it('counts columns in code points and aligns carets under wide characters', () => {
    expect(locate('😀 x', 3)).toEqual({ line: 1, column: 3, offset: 3 });
    expect(renderSnippet('日本 #', 3, 1)).toBe('1 | 日本 #\n  |      ^');
  });

  it('attributes errors to then and else parts', () => {
    const then = errorOf({ block: { match: [{ if: '1', then: 'x y' }], else: '1' }, code: '', rendered: '' });
    expect(then.part).toEqual({ kind: 'then', condition: 1 });
    const otherwise = errorOf({ block: { match: [], else: 'len' }, code: '', rendered: '' });
    expect(otherwise.part).toEqual({ kind: 'else' });
    const plain = errorOf({ expr: 'len', code: '', rendered: '' });
    expect(plain.part).toBeUndefined();
  });
});
