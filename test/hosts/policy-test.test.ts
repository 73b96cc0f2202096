/**
 * `mta-expr test`: the example file for the defaults (100% branch coverage), the output of
 * passing and failing cases, exit codes, JUnit XML read back by a real XML parser, coverage
 * figures on a configuration whose branches are known, and the errors of malformed files.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_FILE_SCHEMA } from '../../src/hosts/testing/test-file-schema.js';
import { parseTestFile } from '../../src/hosts/testing/test-file.js';
import { runCli } from '../support/cli.js';
import { ROOT } from '../support/helpers.js';
import { python } from '../support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mta-expr-test-'));
const NO_COLOR = { env: { ...process.env, NO_COLOR: '1' } };
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

/** A configuration whose branches are known: 2 conditions and 3 branches in saslMechanisms, one else elsewhere. */
const CONFIG = file('config.json', {
  MtaStageAuth: {
    saslMechanisms: { match: [{ if: 'is_tls', then: '[plain, login]' }, { if: 'local_port == 587', then: '[oauthbearer]' }], else: 'false' },
    maxFailures: { match: [], else: "'many'" },
  },
});

describe('the example test file', () => {
  it('passes on the defaults with every branch and condition outcome covered', () => {
    const r = runCli(['test', 'examples/default-policy.test.json', '--coverage'], NO_COLOR);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('\n6 passed, 0 failed (6 cases in 1 file)\n');
    expect(r.out).toContain('coverage of the defaults: 11 of 11 branches taken (100%), 4 of 4 condition outcomes seen (100%)');
    expect(r.out).not.toContain('never taken');
  });

  it('is valid against the schema file, which is the schema the loader checks', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'schema', 'test-file.schema.json'), 'utf8'))).toEqual(TEST_FILE_SCHEMA);
    const text = readFileSync(join(ROOT, 'examples', 'default-policy.test.json'), 'utf8');
    expect(parseTestFile('examples/default-policy.test.json', text).cases).toHaveLength(6);
  });
});

describe('cases', () => {
  const tests = file('cases.test.json', {
    config: 'config.json',
    users: [{ username: 'jane@example.org', password: 'secret' }],
    cases: [
      { name: 'tls gets plain and login', vars: { is_tls: true }, expect: { 'MtaStageAuth.saslMechanisms': ['plain', 'login'] } },
      { name: 'a wrong expectation', vars: { local_port: 587 }, expect: { 'MtaStageAuth.saslMechanisms': ['plain'] } },
      { name: 'an expected error', vars: {}, expect: { 'MtaStageAuth.maxFailures': { value: 3, error: 'is not a integer' } } },
      { name: 'an unexpected error', vars: {}, expect: { 'MtaStageAuth.maxFailures': 3 } },
      {
        name: 'a session with a wrong reply',
        connection: { local_port: 587 },
        session: [{ send: 'EHLO x', reply: '250 AUTH PLAIN' }, { send: 'MAIL FROM:<a@b.c>', reply: 250 }, 'QUIT', 'NOOP'],
      },
    ],
  });

  it('prints one line per case, what differs under a failure, a summary, and exits 1', () => {
    const r = runCli(['test', tests], NO_COLOR);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines.filter((l) => /^(PASS|FAIL) /.test(l))).toEqual([
      `PASS  ${tests}:10 › tls gets plain and login`,
      `FAIL  ${tests}:22 › a wrong expectation`,
      `PASS  ${tests}:33 › an expected error`,
      `FAIL  ${tests}:43 › an unexpected error`,
      `FAIL  ${tests}:50 › a session with a wrong reply`,
    ]);
    expect(r.out).toContain(
      [
        `FAIL  ${tests}:22 › a wrong expectation`,
        '      MtaStageAuth.saslMechanisms: expected [plain], got [oauthbearer]',
        '        MtaStageAuth.saslMechanisms = [oauthbearer]',
        '            if #1 is_tls              false ("")',
        '            if #2 local_port == 587   true  → then [oauthbearer]',
      ].join('\n'),
    );
    expect(r.out).toContain('      MtaStageAuth.maxFailures: its block gave no value: the value "many" is not a integer (the default applies: 3)');
    expect(r.out).toContain('      reply to `EHLO x`: expected "250 AUTH PLAIN", got 250-localhost Nice to meet you, [127.0.0.1] / 250-PIPELINING / 250-8BITMIME / 250-SMTPUTF8 / 250-AUTH OAUTHBEARER / 250-STARTTLS / 250 SIZE 26214400');
    expect(r.out).toContain('      reply to `MAIL FROM:<a@b.c>`: expected 250, got 530 Error: authentication Required');
    expect(r.out).toContain('      the server closed the connection before `NOOP`');
    expect(r.out).toContain('\n2 passed, 3 failed (5 cases in 1 file)\n');
  });

  it('writes JUnit XML that an XML parser reads: one testcase per case, failures with what differs', async () => {
    const junit = join(dir, 'junit.xml');
    runCli(['test', tests, '--junit', junit]);
    const read = await python(
      `import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(root.tag, root.get('tests'), root.get('failures'))
for c in root.iter('testcase'):
    f = c.find('failure')
    print(c.get('name'), '|', f.get('message') if f is not None else 'ok')`,
      [junit],
    );
    expect(read.code, read.err).toBe(0);
    expect(read.lines).toEqual([
      'testsuites 5 3',
      'tls gets plain and login | ok',
      'a wrong expectation | MtaStageAuth.saslMechanisms: expected [plain], got [oauthbearer]',
      'an expected error | ok',
      'an unexpected error | MtaStageAuth.maxFailures: its block gave no value: the value "many" is not a integer (the default applies: 3)',
      'a session with a wrong reply | reply to `EHLO x`: expected "250 AUTH PLAIN", got 250-localhost Nice to meet you, [127.0.0.1] / 250-PIPELINING / 250-8BITMIME / 250-SMTPUTF8 / 250-AUTH OAUTHBEARER / 250-STARTTLS / 250 SIZE 26214400',
    ]);
  });

  it('runs the files on the configuration of --config instead of their own', () => {
    const r = runCli(['test', tests, '--config', join(ROOT, 'examples', 'server.json')], NO_COLOR);
    expect(r.out).toContain(`PASS  ${tests}:43 › an unexpected error`);
  });
});

describe('coverage', () => {
  const tests = file('coverage.test.json', {
    config: 'config.json',
    cases: [
      { name: 'tls', vars: { is_tls: true }, expect: { 'MtaStageAuth.saslMechanisms': ['plain', 'login'] } },
      { name: 'port 25', vars: { local_port: 25 }, expect: { 'MtaStageAuth.saslMechanisms': [] } },
    ],
  });

  it('counts each condition outcome and branch that was evaluated, and lists the others by line', () => {
    const r = runCli(['test', tests, '--coverage'], NO_COLOR);
    expect(r.code).toBe(0);
    const report = r.out.slice(r.out.indexOf('coverage of'));
    const at = `${CONFIG}:11`.length;
    expect(report.split('\n').slice(0, 2)).toEqual([`coverage of ${CONFIG}: 2 of 11 branches taken (18.1%), 3 of 4 condition outcomes seen (75%)`, '  field                         evaluated  branches  conditions']);
    expect(report).toContain('  MtaStageAuth.saslMechanisms           2       2/3         3/4\n');
    expect(report).toContain('  MtaStageAuth.maxFailures              0       0/1\n');
    expect(report).toContain(
      [
        '  never taken:',
        `    ${`${CONFIG}:11`.padEnd(at)}  MtaStageAuth.saslMechanisms   then #2  [oauthbearer]`,
        `    ${`${CONFIG}:18`.padEnd(at)}  MtaStageAuth.maxFailures      else  'many'`,
        `    ${'(default)'.padEnd(at)}  MtaStageAuth.waitOnFail       else  5s`,
      ].join('\n'),
    );
    expect(report).toContain(['  conditions not seen both ways:', `    ${CONFIG}:10  MtaStageAuth.saslMechanisms  if #2 local_port == 587  never true`].join('\n'));
  });

  it('writes the figures as JSON', () => {
    const out = join(dir, 'coverage.json');
    runCli(['test', tests, '--coverage-json', out]);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.configurations[0].totals).toEqual({ branches: { taken: 2, total: 11 }, outcomes: { seen: 3, total: 4 } });
    const sasl = json.configurations[0].fields.find((f: { field: string }) => f.field === 'saslMechanisms');
    expect(sasl).toEqual({
      object: 'MtaStageAuth',
      field: 'saslMechanisms',
      isDefault: false,
      evaluated: 2,
      conditions: [
        { condition: 1, source: 'is_tls', true: 1, false: 1, line: 6 },
        { condition: 2, source: 'local_port == 587', true: 0, false: 1, line: 10 },
      ],
      branches: [
        { branch: 'then #1', source: '[plain, login]', taken: 1, line: 7 },
        { branch: 'then #2', source: '[oauthbearer]', taken: 0, line: 11 },
        { branch: 'else', source: 'false', taken: 1, line: 14 },
      ],
    });
  });
});

describe('malformed test files', () => {
  it.each([
    ['a JSON syntax error', '{\n  "cases": [\n    {"name": "x",}\n  ]\n}', 'syntax.json:3:18: not valid JSON: expected a property name in double quotes'],
    ['a key given twice', '{"cases": [{"name": "x", "vars": {}, "vars": {}}]}', 'twice.json:1:38: the key "vars" is given twice'],
    ['no cases', '{}', 'no-cases.json:1:1: missing the property "cases"'],
    ['an unknown property', '{"cases": [{"name": "x", "expects": {}}]}', 'unknown.json:1:26: case "x": unknown property "expects"'],
    ['a case without a name', '{"cases": [{"vars": {}}]}', 'nameless.json:1:12: case #1: cases.0: missing the property "name"'],
    ['an unknown object', '{"cases": [{"name": "x", "vars": {}, "expect": {"MtaStageAut.require": true}}]}', 'object.json:1:49: case "x": MtaStageAut.require: no object MtaStageAut (the objects: MtaStageAuth, MtaStageConnect, PostfixPolicy)'],
    ['an unknown field', '{"cases": [{"name": "x", "vars": {}, "expect": {"MtaStageAuth.requires": true}}]}', 'field.json:1:49: case "x": MtaStageAuth.requires: MtaStageAuth has no field requires (its fields: maxFailures, waitOnFail, saslMechanisms, mustMatchSender, require)'],
    ['a value of the wrong type', '{"cases": [\n  {"name": "x", "vars": {},\n   "expect": {"MtaStageAuth.require": "yes"}}]}', 'type.json:3:39: case "x": MtaStageAuth.require: expected a boolean (true or false), not "yes"'],
    ['a constant of another group', '{"cases": [{"name": "x", "vars": {}, "expect": {"MtaStageAuth.saslMechanisms": ["plain", "cram"]}}]}', 'constant.json:1:80: case "x": MtaStageAuth.saslMechanisms: "cram" is not MtaAuthTypeConstant (login, plain, xoauth2, oauthbearer)'],
    ['a field name without its object', '{"cases": [{"name": "x", "vars": {}, "expect": {"require": true}}]}', 'name.json:1:49: case "x": "require" is not a field name of the form Object.field'],
    ['vars and a session', '{"cases": [{"name": "x", "vars": {}, "session": []}]}', 'both.json:1:49: case "x": give vars or a session, not both'],
    ['a case that expects nothing', '{"cases": [{"name": "x", "vars": {}}]}', 'nothing.json:1:12: case "x": the case expects nothing: give expect, or a session'],
    ['two cases of one name', '{"cases": [{"name": "x", "vars": {}, "expect": {"MtaStageAuth.require": true}}, {"name": "x", "session": []}]}', 'names.json:1:90: case "x": the name is also case #1\'s'],
    ['a reply code out of range', '{"cases": [{"name": "x", "session": [{"send": "NOOP", "reply": 99}]}]}', 'reply.json:1:64: case "x": expected the reply code, or the start of a line of the reply ("530", "250 AUTH PLAIN LOGIN"), or several such lines.'],
    ['AUTH without a password', '{"cases": [{"name": "x", "session": [{"auth": {"mechanism": "PLAIN", "username": "u"}}]}]}', 'auth.json:1:47: case "x": AUTH PLAIN needs a password'],
  ])('%s', (_, text, message) => {
    const name = message.slice(0, message.indexOf(':'));
    const path = file(name, text);
    const r = runCli(['test', path], NO_COLOR);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`error: ${join(dir, message)}\n`);
  });

  it('runs no case of any file when one file is malformed', () => {
    const good = file('good.json', { cases: [{ name: 'ok', vars: {}, expect: { 'MtaStageAuth.require': true } }] });
    const r = runCli(['test', good, file('bad.json', '{')], NO_COLOR);
    expect(r.out).toBe('');
    expect(r.err).toBe(`error: ${join(dir, 'bad.json')}:1:2: not valid JSON: expected a comma or }\n`);
  });
});
