/**
 * Lints where users meet them: `mta-expr lint` as a user runs it (text, JSON, JSON lines,
 * a configuration file, the schema's fields), fix-it hints in `check`, and the management
 * API answering a successful `/set` with its warnings (and the `update` command printing
 * them) without refusing the save.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/hosts/api/http.js';
import { PERMISSIONS, TokenTable } from '../../src/hosts/api/tokens.js';
import { LiveConfig } from '../../src/hosts/config/live.js';
import { MemoryStore } from '../../src/hosts/config/store.js';
import { runCli, runCliAsync } from '../support/cli.js';

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
    expect(strict.err).toBe('mta-expr: 1 warning, more than --max-warnings 0\n');
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
    expect(usage([])).toBe('mta-expr: give exactly one of EXPR, --block JSON, --file FILE, --config FILE or --jsonl');
    expect(usage(['1', '--field', 'MtaStageAuth.require', '--variables', 'MtaEhloVariable'])).toBe('mta-expr: a field (Object.field) gives its own variables, constants and type: leave those out');
    expect(usage(['1', '--field', 'MtaStageAuth.nope'])).toMatch(/^mta-expr: unknown field `MtaStageAuth\.nope`; known fields: MtaStageAuth\.maxFailures, /);
    expect(usage(['1', '--type', 'colour'])).toBe('mta-expr: type must be one of integer, duration, boolean, string, optionalString, list, constantList, rate');
    expect(usage(['--jsonl', '--field', 'MtaStageAuth.require'])).toBe('mta-expr: --jsonl cases give their own field, variables, constants and type');
    expect(usage(['1', '--max-warnings', 'many'])).toBe('mta-expr: --max-warnings must be a whole number');
    expect(usage(['1', '--vars', '{}'])).toBe("mta-expr: lint: Unknown option '--vars'");
  });

  it('check carries the hint in --jsonl answers', () => {
    const r = runCli(['check', '--jsonl'], { input: JSON.stringify({ expr: "url_path == '/'", variables: 'HttpVariable' }) + '\n' });
    const answer = JSON.parse(r.out) as { error: { code: string; hint: unknown } };
    expect(answer.error.code).toBe('unknown-variable');
    expect(answer.error.hint).toEqual({ replacement: 'path', span: { start: 0, end: 8 }, description: 'write' });
  });
});

describe('management API and lint warnings', () => {
  const TOKEN = 'admin-lint-0123456789';
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const live = await LiveConfig.open(new MemoryStore());
    server = createApiServer({ live, tokens: new TokenTable([{ token: TOKEN, permissions: PERMISSIONS }]), maxRequestBytes: 64 * 1024 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const set = async (update: unknown): Promise<Record<string, any>> => {
    const res = await fetch(`${url}/api`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ methodCalls: [['x:MtaStageAuth/set', { update: { singleton: update } }, 'c1']], using: ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'] }),
    });
    return ((await res.json()) as { methodResponses: Array<[string, Record<string, any>, string]> }).methodResponses[0]![1];
  };

  it('saves a block that lints with warnings and answers with them', async () => {
    const r = await set({ require: { match: [{ if: 'local_port == 25', then: "'false'" }], else: 'true' }, maxFailures: { else: '3' } });
    expect(r.updated).toEqual({ singleton: null });
    expect(r.notUpdated).toBeNull();
    expect(Object.keys(r.warnings.singleton)).toEqual(['require']);
    expect(r.warnings.singleton.require).toEqual([
      {
        code: 'result-type',
        severity: 'warning',
        message: "the text 'false' is always true in a boolean field: any non-empty text is true (then of condition 1, line 1, column 1)",
        line: 1,
        column: 1,
        offset: 0,
        part: 'then of condition 1',
        snippet: "1 | 'false'\n  | ^^^^^^^",
        fix: { replacement: 'false', span: { start: 0, end: 7 }, description: 'write' },
      },
    ]);
  });

  it('answers without warnings when there are none, and still refuses what does not compile', async () => {
    const clean = await set({ require: { else: 'local_port != 25' } });
    expect(clean.updated).toEqual({ singleton: null });
    expect(clean).not.toHaveProperty('warnings');
    const bad = await set({ require: { else: 'local_prot != 25' } });
    expect(bad.updated).toBeNull();
    expect(bad.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['require'] });
    expect(bad.notUpdated.singleton.description).toContain('= fix: write `local_port`');
  });

  it('has the update command print the warnings after the update', async () => {
    const r = await runCliAsync(['update', 'MtaStageAuth', '--field', 'waitOnFail={"else": "2"}', '--url', url, '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^updated MtaStageAuth: waitOnFail \(state \d+ → \d+\)\n\nwaitOnFail: warning\[result-type\]: `2` is 2 milliseconds: a duration is written with its unit \(line 1, column 1\)\n1 \| 2\n  \| \^\n  = fix: write `2s`\n$/);
  });
});
