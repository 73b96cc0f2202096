/**
 * `mta-expr smtp --config missing.json` (and `policyd --config`) printed
 * `config.missing.json: cannot read: …` without the `error: ` every other failure of the
 * command line starts with.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('a configuration file that cannot be used', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mta-expr-config-form-'));

  it('is one `error: …` line, exit 1, for every command that reads one', () => {
    const missing = join(dir, 'missing.json');
    for (const command of ['smtp', 'policyd']) {
      const r = runCli([command, '--config', missing]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(new RegExp(`^error: config\\.${missing.replace(/[./]/g, '\\$&')}: cannot read: ENOENT[^\\n]*\\n$`));
    }
    writeFileSync(join(dir, 'unknown.json'), '{"MtaStageAuht": {}}');
    expect(runCli(['policyd', '--config', join(dir, 'unknown.json')]).err).toMatch(/^error: config\.MtaStageAuht: unknown configuration key \(expected users, tls, tokens, stores, directory, dns, configStore, [^)]*MtaStageAuth, /);
  });

  it('keeps the compile-error form, with its caret, for a bad expression', () => {
    writeFileSync(join(dir, 'bad.json'), '{"MtaStageAuth": {"maxFailures": {"else": "1 +"}}}');
    const r = runCli(['policyd', '--config', join(dir, 'bad.json')]);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toEqual([
      'MtaStageAuth.maxFailures: error[syntax]: expected an operand (a value, a name, `(` or `[`) after `+`, found the end of the expression (else, line 1, column 4)',
      '1 | 1 +',
      '  |    ^',
      '',
    ]);
  });
});
