/**
 * Optional flags shown in brackets in the usage were pasted with the brackets
 * (`mta-expr smtp [--hostname H]`) and silently ignored: a stray word is now an error.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('a stray word on the command line', () => {
  it('is a usage error that says to leave out the brackets', () => {
    const r = runCli(['smtp', '[--hostname', 'mx.example.org]']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: smtp: unexpected `[--hostname` `mx.example.org]` — leave out the brackets');
  });

  it('is a usage error after an expression', () => {
    const r = runCli(['eval', '1', '+', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unexpected `+` `1` (give the expression as one quoted argument)');
  });
});
