/** The `mta-expr` command, run as a user runs it (the built dist/cli.js). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/helpers.js';

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mta-expr eval', () => {
  it('prints the canonical JSON value', () => {
    const r = run(['eval', 'local_port != 25 && is_tls', '--variables', 'MtaEhloVariable', '--vars', '{"local_port": 587, "is_tls": true}']);
    expect(r).toEqual({ code: 0, out: '1\n', err: '' });
  });

  it('evaluates a block from --file and from --block', () => {
    const vars = ['--variables', 'MtaEhloVariable', '--constants', 'MtaAuthTypeConstant', '--vars', '{"local_port": 587}'];
    const fromFile = run(['eval', '--file', 'examples/sasl-mechanisms.json', ...vars]);
    expect(fromFile.out).toBe('[{"constant":"oauthbearer"},{"constant":"xoauth2"}]\n');
    const fromBlock = run(['eval', '--block', '{"match": [], "else": "system(\'hostname\') + \' ESMTP\'"}', '--env', '{"system": {"hostname": "mx.example.org"}}']);
    expect(fromBlock.out).toBe('"mx.example.org ESMTP"\n');
  });

  it('reports a compile error with its caret and exit 1, without a stack trace', () => {
    const r = run(['eval', 'local_port != 25 &&', '--variables', 'MtaEhloVariable']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'error[syntax]: expected an operand (a value, a name, `(` or `[`) after `&&`, found the end of the expression (line 1, column 20)\n' +
        '1 | local_port != 25 &&\n' +
        '  |                    ^\n',
    );
  });

  it('rejects bad usage with exit 2', () => {
    expect(run(['eval', '1', '--bogus']).code).toBe(2);
    expect(run(['eval']).code).toBe(2);
    expect(run(['eval', '1', '--variables', 'Nope']).err).toContain('unknown variable group `Nope`');
    expect(run(['eval', '1', '--vars', '{not json']).err).toContain('--vars is not valid JSON');
    expect(run(['frobnicate']).code).toBe(2);
  });
});

describe('mta-expr policyd', () => {
  it('refuses a missing or doubled source and bad flags with exit 2 and its usage', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTA_EXPR_')));
    const cases: Array<[string[], string]> = [
      [[], 'policyd needs --config FILE or --url URL (the management API of mta-expr serve)'],
      [['--config', 'a.json', '--url', 'http://127.0.0.1:8080'], 'give --config FILE or --url URL, not both'],
      [['--url', 'ftp://x', '--token', 'a-token-123'], '--url ftp://x: not an http:// or https:// URL (such as http://127.0.0.1:8080)'],
      [['--url', 'http://127.0.0.1:8080'], 'no token: give --token TOKEN or set MTA_EXPR_TOKEN'],
      [['--url', 'http://127.0.0.1:8080', '--token', 'a-token-123', '--refresh', 'soon'], '--refresh must be a number of milliseconds, not `soon`'],
      [['--config', 'a.json', '--token', 'a-token-123', '--refresh', '5'], '--token, --refresh go with --url'],
      [['--config', 'a.json', '--listener', '25=sm:tp'], '--listener must be PORT=NAME or PORT=NAME:PORT (e.g. 2587=submission:587), not `25=sm:tp`'],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['policyd', ...args], { env });
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^error: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n\nUsage: mta-expr policyd `));
    }
  });
});

describe('mta-expr check', () => {
  it('exits 0 when the block compiles, 1 with the error otherwise', () => {
    const ok = run(['check', '--file', 'examples/sasl-mechanisms.json', '--variables', 'MtaEhloVariable', '--constants', 'MtaAuthTypeConstant']);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('ok\ncost    at most 9 units (limit 1000000)\n');
    const r = run(['check', '--file', 'examples/sasl-mechanisms.json', '--variables', 'MtaEhloVariable']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('constant `plain` is not available here (this field accepts no constants)');
    expect(r.err).toContain('then of condition 1, line 1, column 2');
    expect(r.err).toContain(' ^^^^^');
  });
});

describe('the evaluation cost', () => {
  it('check reports a worst case over the limit, explain what one evaluation spent', () => {
    const source = "sort(split(rcpt, ','), 1)[0] + sort(split(rcpt, ';'), 1)[0] + sort(split(rcpt, ' '), 1)[0]";
    expect(run(['check', source]).out).toMatch(/^ok\ncost    at most \d+ units, over the limit of 1000000: evaluations are metered and stop at the limit\n$/);
    const r = run(['explain', source, '--vars', '{"rcpt": "b,a"}', '--json']);
    const x = JSON.parse(r.out);
    expect(x.value).toBe('ab,ab,a');
    expect(x.cost.spent).toBeGreaterThan(0);
    expect(x.cost.spent).toBeLessThan(x.cost.estimate);
    expect(x.cost.limit).toBe(1_000_000);
  });
});

describe('mta-expr explain', () => {
  it('shows each condition, the branch taken and the value', () => {
    const r = run(['explain', '--file', 'examples/sasl-mechanisms.json', '--variables', 'MtaEhloVariable', '--constants', 'MtaAuthTypeConstant', '--vars', '{"local_port": 587}']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'if #1   local_port != 25 && is_tls',
        '        = 0  (false)',
        'if #2   local_port != 25',
        '        = 1  (true)',
        'then #2 [oauthbearer, xoauth2]',
        'value   [{"constant":"oauthbearer"},{"constant":"xoauth2"}]',
        'cost    9 units; at most 9 units (limit 1000000)',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with --json, captures included', () => {
    const r = run(['explain', '--block', '{"match":[{"if":"matches(\'^(.+)@\', rcpt)","then":"$1"}],"else":"0"}', '--vars', '{"rcpt":"a@b"}', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ taken: { kind: 'then', condition: 1 }, value: 'a', captures: ['a@', 'a'] });
  });
});

describe('JSON lines', () => {
  it('answers one line per case, in order, and survives malformed lines', () => {
    const input = [
      '{"expr": "1 + 2"}',
      'not json',
      '{"expr": "helo_domain", "variables": "MtaConnectionVariable"}',
      '{"block": {"match": [], "else": ""}}',
      '{"expr": "$SPAM", "globals": {"SPAM": 1}}',
      '{"nothing": 1}',
      '{"expr": "key_get(\'\', \'k\')", "env": {"lookups": {"stores": {"": {"k": "v"}}}}}',
    ].join('\n');
    const lines = run(['eval', '--jsonl'], input).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toEqual({ value: 3 });
    expect(lines[1].error.code).toBe('invalid-input');
    expect(lines[2].error).toMatchObject({ code: 'variable-not-available', line: 1, column: 1 });
    expect(lines[3]).toEqual({ value: null });
    expect(lines[4]).toEqual({ value: 1 });
    expect(lines[5].error.code).toBe('invalid-input');
    expect(lines[6]).toEqual({ value: 'v' });
  });

  it('check --jsonl answers ok or the error', () => {
    const lines = run(['check', '--jsonl'], '{"expr": "1"}\n{"expr": "1 +"}\n').out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ ok: true });
    expect(lines[1].error).toMatchObject({ code: 'syntax', line: 1, column: 4 });
  });
});

describe('mta-expr smtp', () => {
  it('starts both listeners, greets, and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { SmtpClient } = await import('../support/smtp-client.js');
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'smtp', '--hostname', 'mx.cli.test', '--smtp-port', '0', '--submission-port', '0'], { cwd: ROOT });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const started = Date.now();
    while (!/submission on [^:]+:(\d+)/.test(out) && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
    const port = Number(/submission on [^:]+:(\d+)/.exec(out)![1]);
    expect(out).toMatch(/smtp on 127\.0\.0\.1:\d+ \(local_port 25\), submission on 127\.0\.0\.1:\d+ \(local_port 587\); STARTTLS on both \(self-signed certificate\)/);
    const c = await SmtpClient.open(port);
    expect((await c.read()).lines).toEqual(['mx.cli.test Stalwart ESMTP at your service']);
    expect((await c.command('EHLO client.test')).lines).toContain('AUTH OAUTHBEARER XOAUTH2');
    c.close();
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});

describe('mta-expr serve, get and update', () => {
  it('serves the API with the SMTP server on the live configuration; get, update, and a rejected update with its caret', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const data = mkdtempSync(join(tmpdir(), 'mta-expr-serve-'));
    const env = { ...process.env, MTA_EXPR_ADMIN_TOKEN: 'admin-token-cli-1' };
    const child = spawn(
      process.execPath,
      [join(ROOT, 'dist', 'cli.js'), 'serve', '--data', data, '--listen', '127.0.0.1:0', '--smtp', '--hostname', 'mx.serve.test', '--smtp-port', '0', '--submission-port', '0'],
      { cwd: ROOT, env },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const started = Date.now();
    while (!/smtp on 127\.0\.0\.1:(\d+)/.test(out) && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
    const smtpPort = Number(/smtp on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const { SmtpClient } = await import('../support/smtp-client.js');
    const greeting = async () => {
      const c = await SmtpClient.open(smtpPort);
      const line = (await c.read()).lines[0];
      c.close();
      return line;
    };
    const url = /(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(out)![1]!;
    const client = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args, '--url', url], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MTA_EXPR_TOKEN: 'admin-token-cli-1' } });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    try {
      const updated = client(['update', 'MtaStageAuth', '--field', 'maxFailures={"else":"5"}']);
      expect(updated).toMatchObject({ code: 0, out: 'updated MtaStageAuth: maxFailures (state 0 → 1)\n' });
      const got = client(['get', 'MtaStageAuth']);
      expect(got.code).toBe(0);
      expect(got.out.split('\n').slice(0, 2)).toEqual(['MtaStageAuth (state 1)', '  maxFailures      5']);
      const rejected = client(['update', 'MtaStageAuth', '--field', 'waitOnFail={"else":"5 s"}']);
      expect(rejected.code).toBe(1);
      expect(rejected.err).toBe(
        'error: MtaStageAuth not updated: invalidProperties (waitOnFail)\n' +
          'waitOnFail: unexpected `s` after a complete expression: two operands must be joined by an operator (else, line 1, column 3)\n' +
          '1 | 5 s\n' +
          '  |   ^\n',
      );
      expect(await greeting()).toBe('mx.serve.test Stalwart ESMTP at your service');
      expect(client(['update', 'MtaStageConnect', '--field', `smtpGreeting={"else":"system('hostname') + ' updated live'"}`]).code).toBe(0);
      expect(await greeting()).toBe('mx.serve.test updated live');
      const denied = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'get', 'MtaStageAuth', '--url', url, '--token', 'wrong-token-000'], { encoding: 'utf8' });
      // A runtime failure: one line, exit 1.
      expect(denied.status).toBe(1);
      expect(denied.stderr).toMatch(/^error: .*401 Unauthorized: Unknown token \(check --token or \$MTA_EXPR_TOKEN\)\n$/);
    } finally {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    }
  });
});

describe('the command table', () => {
  it('prints the version, the usage and each command’s own flags', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run(['--version'])).toEqual({ code: 0, out: `mta-expr ${version}\n`, err: '' });
    const help = run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['eval', 'check', 'explain', 'smtp', 'serve', 'get', 'update', 'describe', 'snapshot', 'apply', 'history', 'diff', 'rollback']) expect(help.out).toContain(`  mta-expr ${command}`);
    const evalHelp = run(['eval', '--help']);
    expect(evalHelp.code).toBe(0);
    expect(evalHelp.out).toContain('--variables GROUP');
    expect(evalHelp.out).not.toContain('--smtp-port');
    expect(run(['help', 'serve']).out).toContain('--data DIR');
    const none = run([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('Usage:');
  });

  it('reports runtime failures in one line with exit 1', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const unreachable = run(['get', 'MtaStageAuth', '--url', `http://127.0.0.1:${closed}`, '--token', 'any-token-1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toBe(`error: cannot reach http://127.0.0.1:${closed}/jmap/session: connection refused (is \`mta-expr serve\` running there?)\n`);
    const missing = run(['eval', '--file', 'no/such/file.json']);
    expect(missing).toEqual({ code: 1, out: '', err: 'error: cannot read no/such/file.json: no such file\n' });
  });

  it('says in one line when a port is taken', async () => {
    const { createServer } = await import('node:net');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = run(['smtp', '--smtp-port', String(port), '--submission-port', '0']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1 \\(ports ${port}, 0\\): the address is in use\\n$`));
    } finally {
      busy.close();
    }
  });
});
