/**
 * `is_email` rejected a local part ending with a dot (`a.@example.org`), which SPEC §10
 * allows: it forbids only `..`, a dot at the start of the local part and one right after `@`.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/language/index.js';

const isEmail = (address: string): unknown => compile('is_email(v)', { variables: ['v'] }).evaluate({ v: address });

describe('is_email and a dot right before @', () => {
  it('accepts a local part that ends with a dot', () => {
    expect(isEmail('a.@example.org')).toBe(1);
    expect(isEmail('first.last.@example.org')).toBe(1);
  });

  it('still rejects `..`, a leading dot, a dot after @ and an empty label in the domain', () => {
    expect(isEmail('a..@example.org')).toBe(0);
    expect(isEmail('.a@example.org')).toBe(0);
    expect(isEmail('.@example.org')).toBe(0);
    expect(isEmail('a@.example.org')).toBe(0);
    expect(isEmail('a@example.org.')).toBe(0);
  });
});
