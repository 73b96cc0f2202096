/**
 * A custom function that threw made `evaluate` throw the function's own error (and
 * `evaluateAsync` reject with it), unlike a failed lookup: both now give an EvaluationError
 * naming the function, with the original error as its cause.
 */
import { describe, expect, it } from 'vitest';
import { compile, EvaluationError } from '../../src/language/index.js';

const boom = (): never => {
  throw new RangeError('out of tokens');
};

describe('a custom function that throws', () => {
  it('gives an EvaluationError naming it from evaluate', () => {
    const p = compile('reputation(remote_ip) > 50', { functions: [{ name: 'reputation', arity: 1, fn: boom }] });
    let error: unknown;
    try {
      p.evaluate({ remote_ip: '192.0.2.1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EvaluationError);
    expect(error).toMatchObject({ code: 'function', functionName: 'reputation', message: 'reputation: out of tokens' });
    expect((error as Error).cause).toBeInstanceOf(RangeError);
  });

  it('gives the same error from evaluateAsync, for synchronous and asynchronous functions', async () => {
    const sync = compile('reputation(remote_ip)', { functions: [{ name: 'reputation', arity: 1, fn: boom }] });
    await expect(sync.evaluateAsync({})).rejects.toMatchObject({ name: 'EvaluationError', code: 'function', functionName: 'reputation' });
    const async = compile('reputation(remote_ip)', { functions: [{ name: 'reputation', arity: 1, asyncFn: () => Promise.reject(new Error('timeout')) }] });
    await expect(async.evaluateAsync({})).rejects.toMatchObject({ name: 'EvaluationError', code: 'function', functionName: 'reputation', message: 'reputation: timeout' });
  });

  it('is reported by explain the same way', async () => {
    const p = compile({ match: [{ if: 'reputation(remote_ip)', then: '1' }], else: '0' }, { functions: [{ name: 'reputation', arity: 1, fn: boom }] });
    await expect(p.explain({})).rejects.toMatchObject({ name: 'EvaluationError', functionName: 'reputation' });
  });
});
