/**
 * Hostile input: nothing may hang, overflow the stack or throw anything but CompileError.
 * (Speed is measured in bench/, not here; these tests check outcomes.)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError, DEFAULT_LIMITS } from '../../src/language/index.js';
import { ROOT } from '../support/helpers.js';

function compileError(source: string, options = {}): CompileError {
  try {
    compile(source, options);
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    return e as CompileError;
  }
  throw new Error('compiled');
}

describe('regular expressions run in linear time', () => {
  it('matches a catastrophic-backtracking pattern against a 50,000-character subject', () => {
    const p = compile("matches('(a+)+$', subject)", { variables: 'SpamGenericVariable' });
    expect(p.evaluate({ subject: 'a'.repeat(50_000) + '!' })).toBe(0);
    expect(p.evaluate({ subject: 'a'.repeat(50_000) })).toBe(1);
  });

  it('refuses what RE2 refuses: backreferences, lookaround, huge repeats', () => {
    expect(compileError("matches('(a)\\1', x)").code).toBe('invalid-regex');
    expect(compileError("matches('(?=a)', x)").code).toBe('invalid-regex');
    expect(compileError("matches('((a{100}){100}){100}', x)").code).toBe('invalid-regex');
    expect(compileError(`matches('${'a'.repeat(9000)}', x)`).code).toBe('limit');
  });
});

describe('limits give positioned errors, never a stack overflow', () => {
  it.each([
    ['parentheses', '('.repeat(100_000) + '1' + ')'.repeat(100_000)],
    ['brackets', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['unary operators', '!'.repeat(100_000) + '1'],
    ['minus signs', '-'.repeat(100_000) + '1'],
    ['calls', 'len('.repeat(50_000) + '1' + ')'.repeat(50_000)],
    ['index chains', 'x' + '[0]'.repeat(50_000)],
  ])('deep %s', (_what, source) => {
    const e = compileError(source);
    expect(e.code).toBe('limit');
    expect(e.line).toBe(1);
  });

  it('accepts 1,000-term chains and refuses chains past maxDepth', () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `(retry_num + ${i})`).join(' + ');
    expect(compile(terms(1000), { variables: 'MtaQueueHostVariable' }).evaluate({ retry_num: 1 })).toBe(1000 + 999 * 500);
    const e = compileError(terms(DEFAULT_LIMITS.maxDepth + 10), { variables: 'MtaQueueHostVariable' });
    expect(e.code).toBe('limit');
  });

  it('refuses too many tokens and too long sources', () => {
    expect(compileError(Array(30_000).fill('1').join('+')).code).toBe('limit');
    expect(compileError(`'${'x'.repeat(DEFAULT_LIMITS.maxSourceLength)}'`).code).toBe('limit');
    expect(compileError('1 + 1 + 1', { limits: { maxNodes: 3 } }).code).toBe('limit');
  });

  it('evaluates long && / || chains without recursion depth per operand', () => {
    const chain = Array.from({ length: 1500 }, () => '$A').join(' && ');
    expect(compile(chain).evaluate({}, { globals: { A: 1 } })).toBe(1);
  });
});

describe('content security policy', () => {
  it.skipIf(!process.env.NODE_OPTIONS?.includes('--disallow-code-generation-from-strings'))('runs this suite with code generation disallowed', () => {
    expect(() => new Function('return 1')).toThrow(EvalError);
    expect(compile("matches('^(a+)+$', x) || x == 'b'", { variables: ['x'] }).evaluate({ x: 'aaa' })).toBe(1);
  });

  it('compiles and evaluates with code generation from strings disallowed', () => {
    const script = `
      import { compile } from ${JSON.stringify(join(ROOT, 'dist', 'language', 'index.js'))};
      const p = compile({ match: [{ if: "matches('^(.+)@(.+)$', rcpt) && local_port != 25", then: "$2 + ':' + hash($1, 'sha256')" }], else: 'false' }, { variables: 'MtaRcptToVariable' });
      console.log(JSON.stringify(p.evaluate({ rcpt: 'a@b.org', local_port: 587 })));
      try { new Function('return 1'); console.log('codegen allowed'); } catch { console.log('codegen blocked'); }
    `;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([JSON.stringify('b.org:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'), 'codegen blocked']);
  });
});
