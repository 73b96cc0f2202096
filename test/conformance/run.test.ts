/**
 * The conformance vectors (test/conformance/*.json, the project's copy of the shared
 * vectors) through the library API: every case compiles and evaluates to its value, or
 * fails to compile with a positioned CompileError.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError, type BlockInput, type CompileOptions } from '../../src/language/index.js';
import { MemoryLookups } from '../../src/hosts/lookups/memory.js';
import { ROOT, sameJson } from '../support/helpers.js';

interface Vector {
  expr?: string;
  block?: BlockInput;
  variables?: string;
  constants?: string;
  vars?: Record<string, unknown>;
  env?: { system?: Record<string, unknown> };
  globals?: Record<string, unknown>;
  expect?: unknown;
  error?: boolean;
}

const dir = join(ROOT, 'test', 'conformance');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe.each(files)('%s', (file) => {
  const { cases } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: Vector[] };
  it.each(cases.map((c, i) => [i + 1, JSON.stringify(c.expr ?? c.block), c] as const))('#%i %s', async (_n, _label, c) => {
    const options: CompileOptions = {};
    if (c.variables !== undefined) options.variables = c.variables;
    if (c.constants !== undefined) options.constants = c.constants;
    const input = c.expr ?? c.block!;
    if (c.error) {
      let caught: unknown;
      try {
        compile(input, options);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CompileError);
      const e = caught as CompileError;
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.column).toBeGreaterThanOrEqual(1);
      expect(e.snippet).toContain('^');
      return;
    }
    const program = compile(input, options);
    const env = { system: c.env?.system, globals: c.globals, lookups: new MemoryLookups() };
    const value = program.isAsync ? await program.evaluateAsync(c.vars, env) : program.evaluate(c.vars, env);
    const json = JSON.parse(JSON.stringify(value));
    expect(sameJson(json, c.expect), `got ${JSON.stringify(json)}, expected ${JSON.stringify(c.expect)}`).toBe(true);
    // Unoptimised, the same value.
    const plain = compile(input, { ...options, optimize: false }).evaluateJson(c.vars, env);
    expect(sameJson(plain, c.expect)).toBe(true);
  });
});
