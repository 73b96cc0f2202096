/**
 * The client commands (get, update, describe, snapshot, apply, history, diff, rollback) as
 * a user runs them (dist/cli.js) against `mta-expr serve` on loopback, with their failures:
 * connection refused, TLS mismatches, an untrusted certificate, 401, 403, method errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runInProcess } from '../../src/hosts/cli/main.js';
import { runCli } from '../support/cli.js';
import { ADMIN_TOKEN, READER_TOKEN, serve, type Served } from '../support/serve.js';

const env = (token = ADMIN_TOKEN, extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, MTA_EXPR_TOKEN: token, MTA_EXPR_ADMIN_TOKEN: '', NO_COLOR: '1', ...extra });

describe('get, update and describe', () => {
  let s: Served;
  const cli = (args: string[], options: { token?: string; input?: string } = {}) => runCli([...args, '--url', s.url], { env: env(options.token), input: options.input });
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('get shows each field with its default marked, in any case, with or without x:', () => {
    const r = cli(['get', 'x:mtastageauth']);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: [
        'MtaStageAuth (state 0)',
        '  maxFailures      3  (default)',
        '  waitOnFail       5s  (default)',
        '  saslMechanisms   if local_port != 25 && is_tls then [plain, login, oauthbearer, xoauth2]  (default)',
        '                   if local_port != 25 then [oauthbearer, xoauth2]',
        '                   else false',
        '  mustMatchSender  true  (default)',
        '  require          local_port != 25  (default)',
        '',
      ].join('\n'),
    });
    expect(cli(['get', 'MTASTAGECONNECT', 'singleton', '--fields', 'HOSTNAME']).out).toBe("MtaStageConnect (state 0)\n  hostname  system('hostname')  (default)\n");
  });

  it('get --json prints the object as one JSON line', () => {
    const r = cli(['get', 'MtaStageConnect', '--json', '--fields', 'script,id']);
    expect(r.out.split('\n')).toHaveLength(2);
    expect(JSON.parse(r.out)).toEqual({ id: 'singleton', script: { match: [], else: 'false' } });
  });

  it('get refuses another id, an unknown object and an unknown field', () => {
    expect(cli(['get', 'MtaStageAuth', 'other'])).toMatchObject({ code: 1, err: 'error: MtaStageAuth is a singleton: its only id is "singleton", not "other"\n' });
    expect(cli(['get', 'Nothing'])).toMatchObject({ code: 1, err: 'error: unknown object Nothing (the server has MtaStageAuth, MtaStageConnect, PostfixPolicy)\n' });
    expect(cli(['get', 'MtaStageAuth', '--fields', 'nope']).err).toMatch(/^error: MtaStageAuth has no field nope/);
  });

  it('update takes a whole block, a NAME/PATH=VALUE key, --json, --file and --stdin, and --if-in-state', () => {
    expect(cli(['update', 'mtastageauth', '--field', 'maxfailures={"match":[],"else":"5"}'])).toEqual({ code: 0, err: '', out: 'updated MtaStageAuth: maxFailures (state 0 → 1)\n' });
    expect(cli(['update', 'MtaStageAuth', '--field', 'saslMechanisms/match/1/then=[oauthbearer]', '--field', 'waitOnFail/else=2s']).out).toBe('updated MtaStageAuth: saslMechanisms/match/1/then, waitOnFail/else (state 1 → 2)\n');
    expect(JSON.parse(cli(['get', 'MtaStageAuth', '--json']).out)).toMatchObject({ waitOnFail: { match: [], else: '2s' }, saslMechanisms: { match: [{}, { then: '[oauthbearer]' }] } });
    expect(cli(['update', 'MtaStageAuth', '--json', '{"require": {"match": [], "else": "true"}}']).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-patch-'));
    writeFileSync(join(dir, 'patch.json'), '{"require": null}');
    expect(cli(['update', 'MtaStageAuth', '--file', join(dir, 'patch.json')]).out).toBe('updated MtaStageAuth: require (state 3 → 4)\n');
    expect(cli(['update', 'MtaStageAuth', '--stdin'], { input: '{"maxFailures/else": "5"}' }).out).toBe('MtaStageAuth unchanged: maxFailures/else already so (state 4)\n');
    expect(cli(['update', 'MtaStageAuth', '--field', 'maxFailures/else=6', '--if-in-state', '4']).code).toBe(0);
    expect(cli(['update', 'MtaStageAuth', '--field', 'maxFailures/else=7', '--if-in-state', '4'])).toMatchObject({ code: 1, err: 'error: stateMismatch: the state of MtaStageAuth is 5, not 4\n' });
  });

  it('update refuses a key given twice, several sources, and a rejected value with its caret', () => {
    expect(cli(['update', 'MtaStageAuth', '--field', 'maxFailures/else=1', '--field', 'MAXFAILURES/else=2'])).toMatchObject({ code: 2, err: expect.stringMatching(/^error: --field maxFailures\/else is given twice\n/) });
    expect(cli(['update', 'MtaStageAuth', '--json', '{"maxFailures": null, "maxFailures": {"else": "1"}}']).err).toMatch(/^error: --json has the key "maxFailures" twice \(line 1, column 23\)/);
    expect(cli(['update', 'MtaStageAuth', '--json', '{}', '--stdin']).code).toBe(2);
    expect(cli(['update', 'MtaStageAuth', '--field', 'maxFailures=5']).err).toMatch(/for one value inside it, use maxFailures\/else=5/);
    const rejected = cli(['update', 'MtaStageAuth', '--field', 'maxFailures/else=local_prot']);
    expect(rejected).toMatchObject({
      code: 1,
      err: 'error: MtaStageAuth not updated: invalidProperties (maxFailures)\nmaxFailures: unknown name `local_prot`; did you mean `local_port`? (else, line 1, column 1)\n1 | local_prot\n  | ^^^^^^^^^^\n  = fix: write `local_port`\n',
    });
    expect(cli(['update', 'MtaStageAuth', '--field', 'maxFailures/match/4/then=1']).err).toMatch(/^error: MtaStageAuth not updated: invalidPatch\n/);
  });

  it('describe shows each field: type, default, description, variables and constants', () => {
    const r = cli(['describe', 'mtastageauth']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('MtaStageAuth (singleton): SMTP authentication');
    expect(r.out).toContain(
      [
        'saslMechanisms  constantList expression',
        '  SASL mechanisms offered; the empty list disables AUTH.',
        '  default   if local_port != 25 && is_tls then [plain, login, oauthbearer, xoauth2]',
        '            if local_port != 25 then [oauthbearer, xoauth2]',
        '            else false',
        '  variables (MtaEhloVariable) listener, remote_ip, remote_port, local_ip, local_port, protocol, is_tls, helo_domain, asn, country',
        '  constants (MtaAuthTypeConstant) login, plain, xoauth2, oauthbearer',
      ].join('\n'),
    );
    expect(r.out).toContain('mustMatchSender  boolean expression\n');
  });

  it('answers 403 and forbidden in one line, exit 1', () => {
    const r = cli(['update', 'MtaStageAuth', '--field', 'maxFailures/else=2'], { token: READER_TOKEN });
    expect(r).toMatchObject({ code: 1, err: 'error: forbidden: this token lacks the permission sysMtaStageAuthUpdate\n' });
  });
});

describe('errors keep their cause', () => {
  let s: Served;
  let https: Served;
  beforeAll(async () => {
    [s, https] = await Promise.all([serve(), serve(['--https', '--hostname', 'localhost'])]);
  });
  afterAll(() => Promise.all([s.stop(), https.stop()]));
  const get = (url: string, token = ADMIN_TOKEN, extra: string[] = []) => runCli(['get', 'MtaStageAuth', '--url', url, ...extra], { env: env(token) });

  it('connection refused', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    expect(get(`http://127.0.0.1:${port}`)).toEqual({ code: 1, out: '', err: `error: cannot reach http://127.0.0.1:${port}/jmap/session: connection refused (is \`mta-expr serve\` running there?)\n` });
  });

  it('401, with the server’s reason', () => {
    expect(get(s.url, 'wrong-token-0000')).toEqual({ code: 1, out: '', err: `error: ${s.url}/jmap/session: 401 Unauthorized: Unknown token (check --token or $MTA_EXPR_TOKEN)\n` });
  });

  it('TLS both ways: https:// to HTTP, http:// to HTTPS, a self-signed certificate, and --insecure', () => {
    const plain = s.url.replace('http:', 'https:');
    expect(get(plain).err).toBe(`error: cannot reach ${plain}/jmap/session: TLS handshake failed: the server does not speak TLS there (try http://)\n`);
    const downgraded = https.url.replace('https:', 'http:');
    expect(get(downgraded).err).toBe(`error: cannot reach ${downgraded}/jmap/session: the server did not answer in HTTP (if it serves HTTPS, use https://)\n`);
    const untrusted = get(https.url);
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toMatch(new RegExp(`^error: cannot reach ${https.url}/jmap/session: the server's TLS certificate is not trusted: .*self.signed.* \\(--insecure accepts it\\)\\n$`));
    const insecure = get(https.url, ADMIN_TOKEN, ['--insecure']);
    expect(insecure).toMatchObject({ code: 0, err: '' });
    expect(insecure.out).toMatch(/^MtaStageAuth \(state 0\)\n/);
  });

  it('colours the error on a terminal, and not with NO_COLOR', async () => {
    const run = async (noColor: string | undefined) => {
      const stderr = Object.assign(new PassThrough(), { isTTY: true });
      let text = '';
      stderr.on('data', (d: Buffer) => (text += d.toString()));
      const code = await runInProcess(['get', 'MtaStageAuth', '--url', s.url, '--token', 'wrong-token-0000'], {
        stdout: new PassThrough(),
        stderr,
        stdin: new PassThrough(),
        env: noColor === undefined ? {} : { NO_COLOR: noColor },
      });
      return { code, text };
    };
    expect(await run(undefined)).toMatchObject({ code: 1, text: expect.stringMatching(/^\x1b\[31merror\x1b\[0m: /) });
    expect(await run('1')).toMatchObject({ code: 1, text: expect.stringMatching(/^error: /) });
  });
});

describe('configuration as code', () => {
  let s: Served;
  let dir: string;
  const cli = (args: string[], token = ADMIN_TOKEN) => runCli([...args, '--url', s.url], { env: env(token), cwd: dir });
  beforeAll(async () => {
    s = await serve([], { config: { MtaStageConnect: { hostname: { else: "'mx.seeded'" } }, tokens: [{ token: 'ci-token-0123456789', name: 'ci', permissions: ['sysMtaStageAuthGet', 'sysMtaStageAuthUpdate', 'sysMtaStageConnectGet', 'sysMtaStageConnectUpdate'] }] } });
    dir = mkdtempSync(join(tmpdir(), 'mta-expr-repo-'));
  });
  afterAll(() => s.stop());

  it('snapshot writes every object’s non-default fields; apply --dry-run shows the drift, apply applies it all', () => {
    const snap = cli(['snapshot']);
    expect(snap.code).toBe(0);
    expect(JSON.parse(snap.out)).toEqual({ MtaStageAuth: {}, MtaStageConnect: { hostname: { match: [], else: "'mx.seeded'" } }, PostfixPolicy: {} });
    expect(JSON.parse(cli(['snapshot', 'mtastageconnect']).out)).toEqual({ MtaStageConnect: { hostname: { match: [], else: "'mx.seeded'" } } });
    writeFileSync(join(dir, 'config.json'), snap.out);
    expect(cli(['apply', 'config.json', '--dry-run', '--exit-code'])).toEqual({ code: 0, err: '', out: 'nothing to do: the server already matches config.json\n' });

    const desired = { MtaStageAuth: { maxFailures: { match: [], else: '5' } }, MtaStageConnect: { smtpGreeting: { match: [{ if: 'is_tls', then: "'secure'" }], else: "'hello'" } } };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(desired, null, 2));
    const dry = cli(['apply', 'config.json', '--dry-run', '--exit-code']);
    expect(dry).toEqual({
      code: 3,
      err: '',
      out: [
        'MtaStageAuth (state 0):',
        '  maxFailures (was its default)',
        '    - 3',
        '    + 5',
        'MtaStageConnect (state 0):',
        '  smtpGreeting (was its default)',
        "    - system('hostname') + ' Stalwart ESMTP at your service'",
        "    + if is_tls then 'secure'",
        "    + else 'hello'",
        '  hostname (back to its default)',
        "    - 'mx.seeded'",
        "    + system('hostname')",
        'would change 3 fields in 2 objects (dry run: nothing applied)',
        '',
      ].join('\n'),
    });
    expect(cli(['apply', 'config.json', '--dry-run']).code).toBe(0);
    expect(JSON.parse(cli(['get', 'MtaStageAuth', '--json']).out).maxFailures.else).toBe('3');
    const applied = cli(['apply', 'config.json'], 'ci-token-0123456789');
    expect(applied.code).toBe(0);
    expect(applied.out.split('\n').slice(-2)).toEqual(['applied 3 fields in 2 objects (MtaStageAuth 0 → 1, MtaStageConnect 0 → 1)', '']);
    expect(cli(['apply', 'config.json', '--dry-run', '--exit-code']).code).toBe(0);
    expect(JSON.parse(cli(['snapshot']).out)).toEqual({ ...desired, PostfixPolicy: {} });
  });

  it('apply refuses an invalid file, with the fault, and applies nothing', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ MtaStageAuth: { maxFailures: { match: [], else: '7' } }, MtaStageConnect: { hostname: { match: [], else: 'local_port +' } } }));
    const r = cli(['apply', 'bad.json']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('MtaStageConnect.hostname: error[syntax]');
    expect(r.err.split('\n').slice(-2)).toEqual(['error: bad.json is not valid: 1 field does not compile; nothing applied', '']);
    expect(JSON.parse(cli(['get', 'MtaStageAuth', '--json']).out).maxFailures.else).toBe('5');
    writeFileSync(join(dir, 'unknown.json'), '{"MtaStageAuth": {"maxFailure": null}}');
    expect(cli(['apply', 'unknown.json']).err).toMatch(/^error: unknown.json: MtaStageAuth has no field maxFailure/);
    expect(cli(['apply', 'none.json']).err).toBe('error: cannot read none.json: no such file\n');
    expect(cli(['apply', 'config.json'], READER_TOKEN).code).toBe(1);
  });

  it('history, diff and rollback read the history through the API', () => {
    expect(cli(['update', 'MtaStageAuth', '--field', 'maxFailures/else=8']).code).toBe(0);
    const history = cli(['history', 'MtaStageAuth']);
    expect(history.code).toBe(0);
    expect(history.out).toMatch(/^MtaStageAuth \(state 2\): 2 changes\n  0 → 1  \S+Z  ci  maxFailures\n  1 → 2  \S+Z  admin  maxFailures\n$/);
    const json = cli(['history', 'MtaStageAuth', '--json', '--limit', '1']).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toEqual([expect.objectContaining({ token: 'admin', old: { maxFailures: { match: [], else: '5' } }, new: { maxFailures: { match: [], else: '8' } }, oldState: '1', newState: '2' })]);
    expect(cli(['diff', 'MtaStageAuth', '0']).out).toBe('MtaStageAuth 0 → 2:\n  maxFailures (was its default)\n    - 3\n    + 8\n');
    expect(cli(['diff', 'MtaStageAuth', '1', '2']).out).toBe('MtaStageAuth 1 → 2:\n  maxFailures\n    - 5\n    + 8\n');
    expect(cli(['diff', 'MtaStageAuth', '7']).err).toBe('error: MtaStageAuth has had no state 7 (its states: 0, 1, 2)\n');
    expect(cli(['rollback', 'MtaStageAuth', '--to', '0', '--dry-run']).out).toBe('MtaStageAuth (state 2) back to state 0:\n  maxFailures (back to its default)\n    - 8\n    + 3\ndry run: nothing changed\n');
    expect(cli(['rollback', 'MtaStageAuth', '--to', '1']).out.split('\n').slice(-2)).toEqual(['rolled back MtaStageAuth to the configuration of state 1 (state 2 → 3)', '']);
    expect(JSON.parse(cli(['get', 'MtaStageAuth', '--json']).out).maxFailures.else).toBe('5');
    expect(cli(['rollback', 'MtaStageAuth', '--to', '3']).out).toBe('MtaStageAuth (state 3) is already as it was in state 3: nothing to do\n');
    expect(cli(['rollback', 'MtaStageAuth']).code).toBe(2);
    expect(cli(['history', 'MtaStageConnect']).out).toMatch(/^MtaStageConnect \(state 1\): 1 change\n  0 → 1  \S+  ci  smtpGreeting, hostname\n$/);
  });
});
