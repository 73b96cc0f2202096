/** `mta-expr eval "1+1" --smtp-port 5 --data x` succeeded silently: a flag of another command was accepted and ignored. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('a flag of another command', () => {
  it('is a usage error naming the flag, with the usage of the command', () => {
    const r = runCli(['eval', '1+1', '--smtp-port', '5', '--data', 'x']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: eval: Unknown option '--smtp-port'/);
    expect(r.err).toContain('Usage: mta-expr eval EXPR | --block JSON | --file FILE | --jsonl [flags]');
  });

  it('is refused on serve without --smtp for the SMTP flags', () => {
    const r = runCli(['serve', '--data', 'x', '--smtp-port', '5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --smtp-port goes with --smtp/);
  });
});
