/**
 * Properties of the lints and the fix-it hints:
 *  1. no lint fires on the reference's own defaults (../shared/corpus/schema-defaults.json,
 *     each in its field's context, with the schema's type where the schema has the field);
 *  2. on random programs, linting never throws, never changes what a program evaluates to,
 *     reports spans inside their part, and every fix it offers compiles in the same context;
 *  3. on random faulty sources, a hint's span lies in the source and applying it removes
 *     the error it was given for;
 *  4. the number sets the reachability rule reasons with agree, point by point, with the
 *     comparisons they stand for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/hosts/config/schema.js';
import {
  compile,
  CompileError,
  lint,
  renderDiagnostic,
  toJsonValue,
  VALUE_TYPES,
  type BlockInput,
  type LintField,
  type Program,
} from '../../src/language/index.js';
import { comparison, complement, has, intersection, isEmpty, isSubset, union, type NumberSet } from '../../src/language/lint/intervals.js';
import { applyFix } from '../support/fixes.js';
import { HAS_SHARED_CORPUS, sameJson, SHARED } from '../support/helpers.js';

interface DefaultField {
  object: string;
  field: string;
  variables: string | null;
  constants: string | null;
  default: BlockInput | null;
}

function schemaDefaults(): DefaultField[] {
  return (JSON.parse(readFileSync(join(SHARED, 'corpus', 'schema-defaults.json'), 'utf8')) as { fields: DefaultField[] }).fields;
}

/** The field as the lints see it: its groups, and its type when this project's schema describes it. */
function lintFieldOf(f: DefaultField): LintField {
  const known = SCHEMA[f.object]?.fields[f.field];
  return { variables: f.variables, constants: f.constants, ...(known ? { type: known.type } : {}) };
}

const hasValue = (b: BlockInput | null): b is BlockInput => b !== null && (typeof b.else === 'string' ? b.else.trim() !== '' : false);

describe.skipIf(!HAS_SHARED_CORPUS)('lints on the schema defaults', () => {
  const fields = HAS_SHARED_CORPUS ? schemaDefaults().filter((f) => hasValue(f.default)) : [];

  it('covers the defaults, typed ones included', () => {
    expect(fields.length).toBeGreaterThan(80);
    // Every field of this schema's objects that the reference has too (PostfixPolicy is this project's own).
    const reference = new Set(fields.map((f) => f.object));
    const shared = Object.entries(SCHEMA).filter(([name]) => reference.has(name));
    expect(shared.length).toBeGreaterThan(0);
    expect(fields.filter((f) => lintFieldOf(f).type !== undefined).length).toBe(shared.reduce((n, [, o]) => n + Object.keys(o.fields).length, 0));
  });

  it('finds nothing in any of them', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fields), (f) => {
        const field = lintFieldOf(f);
        const found = lint(compile(f.default!, { variables: f.variables, constants: f.constants }), { field });
        expect(found.map(renderDiagnostic), `${f.object}.${f.field}`).toEqual([]);
      }),
      { numRuns: fields.length * 3 },
    );
    // And every one of them, not only those drawn.
    for (const f of fields) expect(lint(compile(f.default!, { variables: f.variables, constants: f.constants }), { field: lintFieldOf(f) })).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Random programs made of the pieces the lints look at

const GROUP = 'MtaRcptToVariable';
const VARIABLES = ['rcpt', 'sender', 'sender_domain', 'remote_ip', 'local_port', 'is_tls', 'listener', 'priority'];
const LEAVES = [
  ...VARIABLES,
  '25', '0', '5', '587', '1.5', '5s', '1d', 'true', 'false', "''", "'smtp'", "'submission'", "'x'",
  "'192.168.'", "'10.0.0.0/8'", "'10.0.0'", "'127.0.0.1'", "'2001:db8:'", "'.1'",
  "'rcpt'", "'sender_domain'", "'false'", "'1/1d'", "'X-Mailer'", "'a@b.org'", "'${sender}'", "'%{env:X}%'",
  "[1, 1d]", "['plain']", "system('hostname')", '$SPAM',
];
const PATTERNS = ["'@example.com$'", "'^(.+)@(.+)$'", "'^X-Spam'", "'a$b'", "'(?i)^abc'", "'^jane@'", "'jane@example.org'"];
const CALLS: Array<[string, number]> = [
  ['starts_with', 2], ['ends_with', 2], ['contains', 2], ['is_ip_in_cidr', 2], ['email_part', 2], ['to_lowercase', 1],
  ['is_empty', 1], ['len', 1], ['if_then', 3], ['eq_ignore_case', 2],
];
const OPS = ['==', '!=', '<', '<=', '>', '>=', '&&', '||', '+', '-'];

const expression = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...LEAVES),
    tie('e').map((e) => `!(${e})`),
    fc.tuple(tie('e'), fc.constantFrom(...OPS), tie('e'), fc.boolean()).map(([a, op, b, p]) => (p ? `(${a}) ${op} (${b})` : `${a} ${op} ${b}`)),
    fc.tuple(fc.constantFrom(...PATTERNS), tie('e')).map(([p, e]) => `matches(${p}, ${e})`),
    fc.constantFrom(...CALLS).chain(([name, arity]) => fc.array(tie('e'), { minLength: arity, maxLength: arity }).map((args) => `${name}(${args.join(', ')})`)),
    fc.tuple(fc.constantFrom(...VARIABLES), tie('e'), tie('e')).map(([v, a, b]) => `${v} == (${a} || ${b})`),
  ),
})).e;

/** A condition often repeated or narrowed, so the reachability rule has work. */
const condition = fc.oneof(
  expression,
  fc.tuple(fc.constantFrom('local_port', 'priority'), fc.constantFrom('==', '!=', '<', '<=', '>', '>='), fc.integer({ min: 0, max: 600 })).map(([v, op, n]) => `${v} ${op} ${n}`),
);

const program = fc.tuple(fc.array(fc.tuple(condition, expression), { maxLength: 4 }), expression, fc.boolean()).map(([conds, otherwise, dup]) => {
  const match = conds.map(([c, t]) => ({ if: c, then: t }));
  if (dup && match.length > 0) match.push({ ...match[0]! });
  return { match, else: otherwise } as BlockInput;
});

const scalar = fc.oneof(fc.constantFrom('smtp', '10.1.2.3', '192.168.1.20', 'jane@example.org', 'X-Mailer', '', '25', 'rcpt'), fc.integer({ min: -3, max: 700 }), fc.boolean());
const vars = fc.dictionary(fc.constantFrom(...VARIABLES), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })));
const fieldType = fc.option(fc.constantFrom(...VALUE_TYPES), { nil: undefined });

function tryCompile(input: string | BlockInput): Program | undefined {
  try {
    return compile(input, { variables: GROUP, constants: 'MtaAuthTypeConstant' });
  } catch (e) {
    if (e instanceof CompileError) return undefined;
    throw e;
  }
}

async function valueOf(p: Program, v: Record<string, unknown>): Promise<unknown> {
  return toJsonValue(await p.evaluateValueAsync(v, { system: { hostname: 'mx.example.org' }, globals: { SPAM: 1 } }));
}

describe('lint properties', () => {
  it('never throws, never changes evaluation, and offers only fixes that compile', async () => {
    let linted = 0;
    let warned = 0;
    await fc.assert(
      fc.asyncProperty(program, fieldType, vars, async (input, type, v) => {
        const p = tryCompile(input);
        if (p === undefined) return;
        linted++;
        const before = await valueOf(p, v).catch((e: Error) => `error: ${e.message}`);
        const field: LintField = { variables: GROUP, constants: 'MtaAuthTypeConstant', ...(type ? { type } : {}) };
        const found = lint(p, { field });
        if (found.length > 0) warned++;
        const after = await valueOf(p, v).catch((e: Error) => `error: ${e.message}`);
        const fresh = await valueOf(tryCompile(input)!, v).catch((e: Error) => `error: ${e.message}`);
        expect(sameJson(after, before), 'same program, same value after lint').toBe(true);
        expect(sameJson(fresh, before), 'a fresh compile agrees').toBe(true);
        for (const d of found) {
          expect(d.severity).toBe('warning');
          expect(d.span.start).toBeGreaterThanOrEqual(0);
          expect(d.span.end).toBeLessThanOrEqual(d.source.length);
          expect(d.span.end).toBeGreaterThan(d.span.start);
          if (d.fix) {
            expect(tryCompile(applyFix(input, d)), `${renderDiagnostic(d)}\nin ${JSON.stringify(input)}`).toBeDefined();
          }
        }
      }),
      { numRuns: 400 },
    );
    // The generator reaches the rules: most programs compile and many draw warnings.
    expect(linted).toBeGreaterThan(150);
    expect(warned).toBeGreaterThan(50);
  });

  it('gives hints whose span is in the source and whose fix removes the error', () => {
    const MISTAKES = [
      'relay', 'PLAIN', 'Is_Tls', 'in-memory', 'authenticated-as', '%{env:HOST}%', '${rcpt}', "config_get('server.hostname')",
      "is_local_domain('*', rcpt_domain)", 'lower(rcpt)', 'length(rcpt)', "in_cidr(remote_ip, '10.0.0.0/8')", "lookup('l', rcpt)",
      "regex(rcpt, '^a')", "matches(rcpt, 'x')", 'retry_num', 'url_path', 'helo_domian', "system('server.hostname')", 'size(rcpt)',
    ];
    let hinted = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...MISTAKES), fc.constantFrom(...LEAVES), fc.constantFrom(' && ', ' + ', ' == ', ', ')), { minLength: 1, maxLength: 4 }),
        (pieces) => {
          const source = pieces.join('');
          let error: CompileError | undefined;
          try {
            compile(source, { variables: GROUP });
          } catch (e) {
            if (!(e instanceof CompileError)) throw e;
            error = e;
          }
          if (error?.hint === undefined) return;
          hinted++;
          const { span, replacement } = error.hint;
          expect(span.start).toBeGreaterThanOrEqual(0);
          expect(span.end).toBeLessThanOrEqual(source.length);
          expect(replacement.length).toBeGreaterThan(0);
          const fixed = source.slice(0, span.start) + replacement + source.slice(span.end);
          let again: CompileError | undefined;
          try {
            compile(fixed, { variables: GROUP });
          } catch (e) {
            again = e as CompileError;
          }
          // Compiles now, or fails elsewhere or for another reason.
          expect(again !== undefined && again.offset === error.offset && again.code === error.code && again.detail === error.detail, `${source} → ${fixed}`).toBe(false);
        },
      ),
      { numRuns: 1500 },
    );
    expect(hinted).toBeGreaterThan(150);
  });

  it('reasons about comparisons with number sets that agree with the comparisons, point by point', () => {
    type Tree = { op: '==' | '!=' | '<' | '<=' | '>' | '>='; c: number } | { not: Tree } | { and: [Tree, Tree] } | { or: [Tree, Tree] };
    const tree = fc.letrec<{ t: Tree }>((tie) => ({
      t: fc.oneof(
        { depthSize: 'small' },
        fc.record({ op: fc.constantFrom('==', '!=', '<', '<=', '>', '>=' as const), c: fc.integer({ min: -3, max: 3 }) }),
        tie('t').map((t) => ({ not: t })),
        fc.tuple(tie('t'), tie('t')).map((p) => ({ and: p })),
        fc.tuple(tie('t'), tie('t')).map((p) => ({ or: p })),
      ),
    })).t;
    const truth = (t: Tree, x: number): boolean => {
      if ('not' in t) return !truth(t.not, x);
      if ('and' in t) return truth(t.and[0], x) && truth(t.and[1], x);
      if ('or' in t) return truth(t.or[0], x) || truth(t.or[1], x);
      // A NaN compares false with everything, so only != holds.
      if (Number.isNaN(x)) return t.op === '!=';
      return { '==': x === t.c, '!=': x !== t.c, '<': x < t.c, '<=': x <= t.c, '>': x > t.c, '>=': x >= t.c }[t.op];
    };
    const set = (t: Tree): NumberSet =>
      'not' in t ? complement(set(t.not)) : 'and' in t ? intersection(set(t.and[0]), set(t.and[1])) : 'or' in t ? union(set(t.or[0]), set(t.or[1])) : comparison(t.op, t.c);
    // Every constant, the points between and beyond them, the infinities and NaN: the sets are decided by these.
    const POINTS = [-Infinity, -4, -3.5, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, Infinity, NaN];
    fc.assert(
      fc.property(tree, tree, (a, b) => {
        const sa = set(a);
        const sb = set(b);
        for (const x of POINTS) expect(has(sa, x), `${JSON.stringify(a)} at ${x}`).toBe(truth(a, x));
        expect(isEmpty(sa)).toBe(POINTS.every((x) => !truth(a, x)));
        expect(isSubset(sa, sb)).toBe(POINTS.every((x) => !truth(a, x) || truth(b, x)));
      }),
      { numRuns: 2000 },
    );
  });
});
