/**
 * The language bundles for the browser on its own: esbuild with `platform: 'browser'`
 * refuses any Node built-in, and the bundle compiles and evaluates with Web APIs only.
 */
import { build } from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';

describe('the language in a browser bundle', () => {
  it('bundles with no Node built-in and evaluates', async () => {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['src/language/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    // esbuild fails on an import of a Node built-in for the browser; no such name is left in the code either.
    expect(code).not.toMatch(/["']node:[a-z]/);
    const file = join(mkdtempSync(join(tmpdir(), 'mta-expr-browser-')), 'language.mjs');
    writeFileSync(file, code);
    const language = (await import(pathToFileURL(file).href)) as typeof import('../../src/language/index.js');
    const sasl = language.compile(
      { match: [{ if: 'local_port != 25 && is_tls', then: '[plain, login]' }], else: 'false' },
      { variables: 'MtaEhloVariable', constants: 'MtaAuthTypeConstant' },
    );
    expect(language.asConstantList(sasl.evaluate({ local_port: 587, is_tls: true }))).toEqual(['plain', 'login']);
    expect(language.compile("hash('abc', 'sha256') + ' ' + len('héllo')").evaluate()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 6');
  });
});
