/**
 * Lints where users meet them: `mta-expr lint` as a user runs it (text, JSON, JSON lines,
 * a configuration file, the schema's fields), fix-it hints in `check`, and the management
 * API answering a successful `/set` with its warnings (and the `update` command printing
 * them) without refusing the save.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from '../support/cli.js';
import { ADMIN_TOKEN, call, calls, serve, USING, type Served } from '../support/serve.js';

describe('mta-expr lint', () => {
  it('prints each warning with its caret and fix, then a summary; exit 0', () => {
    const r = runCli(['lint', "starts_with(remote_ip, '192.168.') || remote_ip == '10.0.0.0/8'", '--variables', 'MtaConnectionVariable']);
    expect(r).toEqual({
      code: 0,
      err: '',
      out:
        'warning[ip-as-text]: `remote_ip` is compared as text: a prefix of an address is not a network (line 1, column 1)\n' +
        "1 | starts_with(remote_ip, '192.168.') || remote_ip == '10.0.0.0/8'\n" +
        '  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n' +
        "  = fix: write `is_ip_in_cidr(remote_ip, '192.168.0.0/16')`\n" +
        '\n' +
        "warning[ip-as-text]: `remote_ip` holds a whole address: it is never equal to the network '10.0.0.0/8' (line 1, column 39)\n" +
        "1 | starts_with(remote_ip, '192.168.') || remote_ip == '10.0.0.0/8'\n" +
        '  |                                       ^^^^^^^^^^^^^^^^^^^^^^^^^\n' +
        "  = fix: write `is_ip_in_cidr(remote_ip, '10.0.0.0/8')`\n" +
        '\n' +
        '2 warnings (ip-as-text 2)\n',
    });
    expect(runCli(['lint', 'local_port != 25', '--variables', 'MtaEhloVariable'])).toEqual({ code: 0, out: 'no warnings\n', err: '' });
  });

  it('reads the context and the type of a schema field', () => {
    const r = runCli(['lint', '--block', '{"match": [{"if": "local_port == 25", "then": "\'false\'"}], "else": "true"}', '--field', 'MtaStageAuth.require']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "warning[result-type]: the text 'false' is always true in a boolean field: any non-empty text is true (then of condition 1, line 1, column 1)\n" +
        "1 | 'false'\n" +
        '  | ^^^^^^^\n' +
        '  = fix: write `false`\n' +
        '\n' +
        '1 warning (result-type 1)\n',
    );
    // A rate field the schema does not describe: the type by name.
    expect(runCli(['lint', '--block', '{"else": "\'1/1d\'"}', '--variables', 'MtaRcptToVariable', '--type', 'rate']).out).toContain('= fix: write `[1, 1d]`');
  });

  it('prints JSON with --json, and fails past --max-warnings', () => {
    const r = runCli(['lint', "matches('@example.com$', sender)", '--variables', 'MtaMailFromVariable', '--json']);
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.out) as { warnings: Array<Record<string, unknown>>; summary: string };
    expect(answer.summary).toBe('1 warning (unescaped-dot 1)');
    expect(answer.warnings[0]).toMatchObject({ code: 'unescaped-dot', severity: 'warning', line: 1, column: 18, fix: { replacement: "'@example\\.com$'" } });
    const strict = runCli(['lint', "matches('@example.com$', sender)", '--variables', 'MtaMailFromVariable', '--max-warnings', '0']);
    expect(strict.code).toBe(1);
    expect(strict.err).toBe('error: 1 warning, more than --max-warnings 0\n');
    expect(runCli(['lint', "matches('@example.com$', sender)", '--variables', 'MtaMailFromVariable', '--max-warnings', '1']).code).toBe(0);
  });

  it('answers one JSON line per case with --jsonl, the summary on stderr', () => {
    const input = [
      JSON.stringify({ expr: "'noreply@${sender_domain}'", variables: 'MtaMailFromVariable' }),
      JSON.stringify({ block: { else: '5' }, field: 'MtaStageAuth.waitOnFail' }),
      JSON.stringify({ expr: 'relay', variables: 'MtaQueueRcptVariable' }),
      JSON.stringify({ expr: '1', field: 'Nope.nothing' }),
      '',
      JSON.stringify({ expr: 'is_tls', variables: 'MtaEhloVariable' }),
    ].join('\n');
    const r = runCli(['lint', '--jsonl'], { input });
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { warnings?: Array<Record<string, unknown>>; error?: Record<string, unknown> });
    expect(lines).toHaveLength(5);
    expect(lines[0]!.warnings![0]).toMatchObject({ code: 'unexpanded-macro', fix: { replacement: "'noreply@' + sender_domain" } });
    expect(lines[1]!.warnings![0]).toMatchObject({ code: 'result-type', message: '`5` is 5 milliseconds: a duration is written with its unit (line 1, column 1)', fix: { replacement: '5s' } });
    expect(lines[2]!.error).toMatchObject({ code: 'unknown-variable', hint: { replacement: "'relay'" } });
    expect(lines[3]!.error).toMatchObject({ code: 'invalid-input' });
    expect(String(lines[3]!.error!.message)).toContain('unknown field `Nope.nothing`; known fields: MtaStageAuth.maxFailures');
    expect(lines[4]).toEqual({ warnings: [] });
    expect(r.err).toBe('lint: 5 cases (2 with an error), 2 warnings (result-type 1, unexpanded-macro 1)\n');
  });

  it('lints every field a configuration file sets', () => {
    expect(runCli(['lint', '--config', 'examples/server.json'])).toEqual({ code: 0, out: 'no warnings\n', err: '' });
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-lint-'));
    const file = join(dir, 'server.json');
    writeFileSync(file, JSON.stringify({ MtaStageAuth: { waitOnFail: { else: '3' }, saslMechanisms: { match: [{ if: 'is_tls', then: "['plain']" }], else: 'false' } } }));
    const r = runCli(['lint', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'MtaStageAuth.waitOnFail: warning[result-type]: `3` is 3 milliseconds: a duration is written with its unit (line 1, column 1)\n' +
        '1 | 3\n' +
        '  | ^\n' +
        '  = fix: write `3s`\n' +
        '\n' +
        "MtaStageAuth.saslMechanisms: warning[result-type]: the list holds text, not constants: a list of constants is written without quotes (then of condition 1, line 1, column 1)\n" +
        "1 | ['plain']\n" +
        '  | ^^^^^^^^^\n' +
        '  = fix: write `[plain]`\n' +
        '\n' +
        '2 warnings (result-type 2)\n',
    );
  });

  it('is an error (exit 1, with the hint) when the source does not compile, a usage error (exit 2) when called wrong', () => {
    const r = runCli(['lint', "is_local_domain('*', rcpt_domain)", '--variables', 'MtaRcptToVariable']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'error[arity]: `is_local_domain` expects 1 argument, got 2: the directory argument was removed in 0.16.0 (the server has one directory) (line 1, column 1)\n' +
        "1 | is_local_domain('*', rcpt_domain)\n" +
        '  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n' +
        '  = fix: write `is_local_domain(rcpt_domain)`\n',
    );
    const usage = (args: string[]) => {
      const u = runCli(['lint', ...args]);
      expect(u.code, args.join(' ')).toBe(2);
      expect(u.err, args.join(' ')).toContain('Usage: mta-expr lint');
      return u.err.split('\n')[0];
    };
    expect(usage([])).toBe('error: give exactly one of EXPR, --block JSON, --file FILE, --config FILE or --jsonl');
    expect(usage(['1', '--field', 'MtaStageAuth.require', '--variables', 'MtaEhloVariable'])).toBe('error: a field (Object.field) gives its own variables, constants and type: leave those out');
    expect(usage(['1', '--field', 'MtaStageAuth.nope'])).toMatch(/^error: unknown field `MtaStageAuth\.nope`; known fields: MtaStageAuth\.maxFailures, /);
    expect(usage(['1', '--type', 'colour'])).toBe('error: type must be one of integer, duration, boolean, string, optionalString, list, constantList, rate');
    expect(usage(['--jsonl', '--field', 'MtaStageAuth.require'])).toBe('error: --jsonl cases give their own field, variables, constants and type');
    expect(usage(['1', '--max-warnings', 'many'])).toBe('error: --max-warnings must be a whole number');
    expect(usage(['1', '--vars', '{}'])).toBe("error: lint: Unknown option '--vars'");
  });

  it('check carries the hint in --jsonl answers', () => {
    const r = runCli(['check', '--jsonl'], { input: JSON.stringify({ expr: "url_path == '/'", variables: 'HttpVariable' }) + '\n' });
    const answer = JSON.parse(r.out) as { error: { code: string; hint: unknown } };
    expect(answer.error.code).toBe('unknown-variable');
    expect(answer.error.hint).toEqual({ replacement: 'path', span: { start: 0, end: 8 }, description: 'write' });
  });
});

describe('management API and lint warnings', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  const set = async (update: unknown): Promise<Record<string, any>> => (await call(s, 'x:MtaStageAuth/set', { update: { singleton: update } }))[1];
  const REQUIRE_WARNING = {
    code: 'result-type',
    severity: 'warning',
    message: "the text 'false' is always true in a boolean field: any non-empty text is true (then of condition 1, line 1, column 1)",
    line: 1,
    column: 1,
    offset: 0,
    part: 'then of condition 1',
    snippet: "1 | 'false'\n  | ^^^^^^^",
    fix: { replacement: 'false', span: { start: 0, end: 7 }, description: 'write' },
  };

  it('saves a block that lints with warnings and answers with them', async () => {
    const r = await set({ require: { match: [{ if: 'local_port == 25', then: "'false'" }], else: 'true' }, maxFailures: { match: [], else: '3' } });
    expect(r.updated).toEqual({ singleton: null });
    expect(r.notUpdated).toBeNull();
    expect(Object.keys(r.warnings.singleton)).toEqual(['require']);
    expect(r.warnings.singleton.require).toEqual([REQUIRE_WARNING]);
    const [, got] = await call(s, 'x:MtaStageAuth/get', { ids: ['singleton'], properties: ['require'] });
    expect(got.list[0].require.match[0].then).toBe("'false'");
  });

  it('answers without warnings when there are none, and still refuses what does not compile', async () => {
    const clean = await set({ require: { match: [], else: 'local_port != 25' } });
    expect(clean.updated).toEqual({ singleton: null });
    expect(clean).not.toHaveProperty('warnings');
    const bad = await set({ require: { match: [], else: 'local_prot != 25' } });
    expect(bad.updated).toBeNull();
    expect(bad.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['require'] });
    expect(bad.notUpdated.singleton.description).toContain('= fix: write `local_port`');
  });

  it('lints the block a patch path leaves, and answers each call of an atomic request with its warnings', async () => {
    await set({ require: { match: [{ if: 'local_port == 25', then: 'false' }], else: 'true' } });
    const patched = await set({ 'require/match/0/then': "'false'" });
    expect(patched.warnings.singleton.require).toEqual([REQUIRE_WARNING]);
    const atomic = [...USING, 'urn:mta-expr:jmap:atomic'];
    const both = await calls(
      s,
      [
        ['x:MtaStageAuth/set', { update: { singleton: { waitOnFail: { match: [], else: '2' } } } }, 'a'],
        ['x:MtaStageConnect/set', { update: { singleton: { hostname: { match: [], else: "'mx.example.org'" } } } }, 'b'],
      ],
      atomic,
    );
    expect(both[0][1].warnings.singleton.waitOnFail).toMatchObject([{ code: 'result-type', fix: { replacement: '2s' } }]);
    expect(both[1][1]).not.toHaveProperty('warnings');
    const rolledBack = await calls(
      s,
      [
        ['x:MtaStageAuth/set', { update: { singleton: { waitOnFail: { match: [], else: '3' } } } }, 'a'],
        ['x:MtaStageConnect/set', { update: { singleton: { hostname: { match: [], else: 'nope(' } } } }, 'b'],
      ],
      atomic,
    );
    expect(rolledBack[0]).toEqual(['error', expect.objectContaining({ type: 'rolledBack' }), 'a']);
  });

  it('has the update command print the warnings after the update', async () => {
    const r = await runCliAsync(['update', 'MtaStageAuth', '--field', 'waitOnFail={"match": [], "else": "5"}', '--url', s.url, '--token', ADMIN_TOKEN]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^updated MtaStageAuth: waitOnFail \(state \d+ → \d+\)\n\nwaitOnFail: warning\[result-type\]: `5` is 5 milliseconds: a duration is written with its unit \(line 1, column 1\)\n1 \| 5\n  \| \^\n  = fix: write `5s`\n$/);
  });

  it('has apply and rollback print the warnings of the blocks they set', async () => {
    const before = await set({ waitOnFail: { match: [], else: '9' } });
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-lint-apply-'));
    const file = join(dir, 'desired.json');
    writeFileSync(file, JSON.stringify({ MtaStageAuth: { waitOnFail: { match: [], else: '7' } } }));
    const applied = await runCliAsync(['apply', file, '--url', s.url, '--token', ADMIN_TOKEN]);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain('\n\nMtaStageAuth.waitOnFail: warning[result-type]: `7` is 7 milliseconds: a duration is written with its unit (line 1, column 1)\n1 | 7\n  | ^\n  = fix: write `7s`\n');
    const back = await runCliAsync(['rollback', 'MtaStageAuth', '--to', before.newState, '--url', s.url, '--token', ADMIN_TOKEN]);
    expect(back.code, back.err).toBe(0);
    expect(back.out).toMatch(/\nrolled back MtaStageAuth to the configuration of state \d+ \(state \d+ → \d+\)\n\n/);
    expect(back.out).toContain('\n\nwaitOnFail: warning[result-type]: `9` is 9 milliseconds');
  });
});
