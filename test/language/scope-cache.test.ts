/**
 * Scopes are cached by their options, name lists included: the cache must never hand out a
 * scope for other names than the options say, nor let an invalid list through.
 */
import { describe, expect, it } from 'vitest';
import { compile, CompileError } from '../../src/language/index.js';
import { resolveScope } from '../../src/language/check/scope.js';

describe('the scope cache', () => {
  it('reuses the scope of a list while it holds the same names, and follows a changed list', () => {
    const names = ['local_port', 'is_tls'];
    const first = resolveScope({ variables: names });
    expect(resolveScope({ variables: names })).toBe(first);
    expect(resolveScope({ variables: ['local_port', 'is_tls'] })).toBe(first);
    names.push('tier');
    const grown = resolveScope({ variables: names });
    expect(grown).not.toBe(first);
    expect([...grown.variables]).toEqual(['local_port', 'is_tls', 'tier']);
    expect(compile("tier == 'gold'", { variables: names }).evaluate({ tier: 'gold' })).toBe(1);
    names.pop();
    expect(() => compile("tier == 'gold'", { variables: names })).toThrow(CompileError);
  });

  it('keeps lists, groups and absent options apart', () => {
    const group = resolveScope({ variables: 'MtaEhloVariable' });
    expect(resolveScope({ variables: ['MtaEhloVariable'] })).not.toBe(group);
    expect(resolveScope({ variables: ['local_port'], constants: null })).not.toBe(resolveScope({ variables: ['local_port'] }));
    expect(resolveScope({ variables: ['local_port'], optimize: false }).optimize).toBe(false);
    expect(resolveScope({ variables: ['local_port'] }).optimize).toBe(true);
    expect(resolveScope({ constants: ['plain'] }).constants.has('plain')).toBe(true);
  });

  it('still refuses invalid lists every time', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => resolveScope({ variables: ['local_port', 'not a name'] })).toThrow(TypeError);
      expect(() => resolveScope({ variables: ['constructor'] })).toThrow(TypeError);
      expect(() => resolveScope({ variables: [1 as unknown as string] })).toThrow(TypeError);
      expect(() => resolveScope({ variables: 'NoSuchGroup' })).toThrow(TypeError);
    }
    const list = ['local_port'];
    resolveScope({ variables: list });
    list[0] = 'bad name';
    expect(() => resolveScope({ variables: list })).toThrow(TypeError);
  });
});
