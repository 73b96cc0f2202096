/**
 * Lints, one table per rule: the source (an expression or a block) and the field it is for →
 * each warning's code, block part, the text under the caret, the message and the fix (its
 * replacement and the text it replaces). Each rule also has near misses that must stay
 * quiet. Every fix, applied, compiles in the same context and silences its warning.
 */
import { describe, expect, it } from 'vitest';
import { compile, describePart, lint, LINT_RULES, renderDiagnostic, type BlockInput, type LintField } from '../../src/language/index.js';
import { applyFix } from '../support/fixes.js';

interface Expected {
  code: string;
  /** `if of condition 2`, `else`…; absent for a single expression. */
  part?: string;
  at: string;
  message: string;
  fix: [replacement: string, replaces: string] | null;
}

interface Row {
  name: string;
  input: string | BlockInput;
  field: LintField;
  expect: Expected[];
}

const block = (conditions: Array<[string, string]>, otherwise: string): BlockInput => ({ match: conditions.map(([i, t]) => ({ if: i, then: t })), else: otherwise });
const only = (otherwise: string): BlockInput => ({ match: [], else: otherwise });

const MAIL = { variables: 'MtaMailFromVariable' };
const CONNECT = { variables: 'MtaConnectionVariable' };
const QUEUE = { variables: 'MtaQueueRcptVariable' };
const HEADER = { variables: 'SpamHeaderVariable' };

const TABLES: Record<string, Row[]> = {
  'quoted-variable': [
    {
      name: 'a quoted variable as the text to test',
      input: "starts_with('sender_domain', 'example')",
      field: MAIL,
      expect: [{ code: 'quoted-variable', at: "'sender_domain'", message: "'sender_domain' is the text of a variable's name, not its value: a quoted name is a string", fix: ['sender_domain', "'sender_domain'"] }],
    },
    {
      name: 'a quoted variable as a lookup key',
      input: "key_exists('blocked', 'sender_domain')",
      field: MAIL,
      expect: [{ code: 'quoted-variable', at: "'sender_domain'", message: "'sender_domain' is the text of a variable's name, not its value: a quoted name is a string", fix: ['sender_domain', "'sender_domain'"] }],
    },
    {
      name: 'a quoted variable as the subject of matches',
      input: block([["matches('^admin@', 'sender')", "'x'"]], "'y'"),
      field: MAIL,
      expect: [{ code: 'quoted-variable', part: 'if of condition 1', at: "'sender'", message: "'sender' is the text of a variable's name, not its value: a quoted name is a string", fix: ['sender', "'sender'"] }],
    },
  ],
  'swapped-matches': [
    {
      name: 'the subject given as the pattern',
      input: "matches('postmaster', '^post')",
      field: {},
      expect: [{ code: 'swapped-matches', at: "'^post'", message: "the subject '^post' looks like a pattern and the pattern 'postmaster' like a subject: `matches` takes the pattern first", fix: ["matches('^post', 'postmaster')", "matches('postmaster', '^post')"] }],
    },
  ],
  'unreachable-condition': [
    {
      name: 'the same condition twice',
      input: block([['local_port == 25', 'true'], ['local_port == 25', 'false']], 'false'),
      field: { variables: 'MtaEhloVariable' },
      expect: [{ code: 'unreachable-condition', part: 'if of condition 2', at: 'local_port == 25', message: 'condition 2 is the same as condition 1 (`local_port == 25`), which is chosen first', fix: null }],
    },
    {
      name: 'a condition implied by an earlier one (a conjunction)',
      input: block([['local_port != 25', '[oauthbearer]'], ['local_port != 25 && is_tls', '[plain, login]']], 'false'),
      field: { variables: 'MtaEhloVariable', constants: 'MtaAuthTypeConstant' },
      expect: [{ code: 'unreachable-condition', part: 'if of condition 2', at: 'local_port != 25 && is_tls', message: 'condition 2 is never chosen: condition 1 (`local_port != 25`) is true whenever it is', fix: null }],
    },
    {
      name: 'a range inside an earlier one',
      input: block([['retry_num > 1', "'fallback'"], ['retry_num > 3', "'last-resort'"]], "'mx'"),
      field: QUEUE,
      expect: [{ code: 'unreachable-condition', part: 'if of condition 2', at: 'retry_num > 3', message: 'condition 2 is never chosen: condition 1 (`retry_num > 1`) is true whenever it is', fix: null }],
    },
    {
      name: 'a range covered by two earlier ones',
      input: block([['retry_num < 2', '1'], ['retry_num >= 5', '2'], ['retry_num == 7 || retry_num == 1', '3']], '4'),
      field: QUEUE,
      expect: [{ code: 'unreachable-condition', part: 'if of condition 3', at: 'retry_num == 7 || retry_num == 1', message: 'condition 3 is never chosen: conditions 1, 2 are true for every value it accepts', fix: null }],
    },
    {
      name: 'comparisons that contradict each other',
      input: block([['size > 1000 && size < 10', "'big'"]], "'small'"),
      field: QUEUE,
      expect: [{ code: 'unreachable-condition', part: 'if of condition 1', at: 'size > 1000 && size < 10', message: 'condition 1 is never true: its comparisons contradict each other', fix: null }],
    },
    {
      name: 'conditions after one that is always true',
      input: block([['true', "'a'"], ['retry_num > 0', "'b'"]], "'c'"),
      field: QUEUE,
      expect: [
        { code: 'unreachable-condition', part: 'if of condition 2', at: 'retry_num > 0', message: 'condition 2 is never reached: condition 1 is always true', fix: null },
        { code: 'unreachable-condition', part: 'else', at: "'c'", message: 'the `else` is never reached: condition 1 is always true', fix: null },
      ],
    },
    {
      name: 'a condition that is never true',
      input: block([["'' && is_tls", '1']], '2'),
      field: { variables: 'MtaEhloVariable' },
      expect: [{ code: 'unreachable-condition', part: 'if of condition 1', at: "'' && is_tls", message: 'condition 1 is never true, so its `then` is never chosen', fix: null }],
    },
  ],
  'ip-as-text': [
    {
      name: 'an address prefix',
      input: "starts_with(remote_ip, '192.168.')",
      field: CONNECT,
      expect: [{ code: 'ip-as-text', at: "starts_with(remote_ip, '192.168.')", message: '`remote_ip` is compared as text: a prefix of an address is not a network', fix: ["is_ip_in_cidr(remote_ip, '192.168.0.0/16')", "starts_with(remote_ip, '192.168.')"] }],
    },
    {
      name: 'a prefix cut inside an octet',
      input: "starts_with(remote_ip, '10.1')",
      field: CONNECT,
      expect: [{ code: 'ip-as-text', at: "starts_with(remote_ip, '10.1')", message: "`remote_ip` is compared as text: a prefix of an address is not a network; '10.1' is also the start of '10.10…'", fix: ["is_ip_in_cidr(remote_ip, '10.1.0.0/16')", "starts_with(remote_ip, '10.1')"] }],
    },
    {
      name: 'an IPv6 prefix',
      input: "starts_with(remote_ip, '2001:db8:')",
      field: CONNECT,
      expect: [{ code: 'ip-as-text', at: "starts_with(remote_ip, '2001:db8:')", message: '`remote_ip` is compared as text: a prefix of an address is not a network', fix: ["is_ip_in_cidr(remote_ip, '2001:db8::/32')", "starts_with(remote_ip, '2001:db8:')"] }],
    },
    {
      name: 'a network compared with ==',
      input: "remote_ip == '10.0.0.0/8'",
      field: CONNECT,
      expect: [{ code: 'ip-as-text', at: "remote_ip == '10.0.0.0/8'", message: "`remote_ip` holds a whole address: it is never equal to the network '10.0.0.0/8'", fix: ["is_ip_in_cidr(remote_ip, '10.0.0.0/8')", "remote_ip == '10.0.0.0/8'"] }],
    },
    {
      name: 'a partial address compared with !=',
      input: "remote_ip != '10.0.0' && is_tls",
      field: CONNECT,
      expect: [{ code: 'ip-as-text', at: "remote_ip != '10.0.0'", message: "`remote_ip` holds a whole address: it is never equal to the partial address '10.0.0'", fix: ["!is_ip_in_cidr(remote_ip, '10.0.0.0/24')", "remote_ip != '10.0.0'"] }],
    },
    {
      name: 'an address suffix',
      input: "ends_with(remote_ip, '.1')",
      field: CONNECT,
      expect: [{ code: 'ip-as-text', at: "ends_with(remote_ip, '.1')", message: '`remote_ip` is compared as text: the end of an address is not a network; compare whole addresses or use `is_ip_in_cidr`', fix: null }],
    },
    {
      name: 'the address of a DNSBL answer',
      input: "starts_with(value, '127.0.0.')",
      field: { variables: 'SpamIpVariable' },
      expect: [{ code: 'ip-as-text', at: "starts_with(value, '127.0.0.')", message: '`value` is compared as text: a prefix of an address is not a network', fix: ["is_ip_in_cidr(value, '127.0.0.0/24')", "starts_with(value, '127.0.0.')"] }],
    },
  ],
  'result-type': [
    {
      name: "'false' in a boolean field",
      input: block([['local_port == 25', "'false'"]], 'true'),
      field: { type: 'boolean', variables: 'MtaEhloVariable' },
      expect: [{ code: 'result-type', part: 'then of condition 1', at: "'false'", message: "the text 'false' is always true in a boolean field: any non-empty text is true", fix: ['false', "'false'"] }],
    },
    {
      name: 'a number in a string field',
      input: only('25'),
      field: { type: 'string', variables: 'MtaConnectionVariable' },
      expect: [{ code: 'result-type', at: '25', message: 'the number 25 is not text: a string field reads only strings', fix: ["'25'", '25'] }],
    },
    {
      name: 'a bare constant in a string field',
      input: only('relaxed'),
      field: { type: 'string', variables: 'MtaRcptToVariable', constants: 'MtaVerifyConstant' },
      expect: [{ code: 'result-type', at: 'relaxed', message: 'the constant `relaxed` is not text: a string field reads only strings', fix: ["'relaxed'", 'relaxed'] }],
    },
    {
      name: 'a test in a string field',
      input: only("system('hostname') == 'mx'"),
      field: { type: 'string', variables: 'MtaConnectionVariable' },
      expect: [{ code: 'result-type', at: "system('hostname') == 'mx'", message: 'this result is always 1 or 0 (a test), which a string field cannot read as meant', fix: null }],
    },
    {
      name: "'1/1d' in a rate field",
      input: only("'1/1d'"),
      field: { type: 'rate', variables: 'MtaRcptToVariable' },
      expect: [{ code: 'result-type', at: "'1/1d'", message: "the text '1/1d' is the rate syntax of older configuration files: a rate is `[count, period]`", fix: ['[1, 1d]', "'1/1d'"] }],
    },
    {
      name: 'a rate with a zero period',
      input: only('[5, 0]'),
      field: { type: 'rate', variables: 'MtaRcptToVariable' },
      expect: [{ code: 'result-type', at: '[5, 0]', message: 'a list is not a rate `[count, period]` of two positive integers (`[1, 1d]`): the field falls back to its default', fix: null }],
    },
    {
      name: 'strings in a list of constants',
      input: block([['is_tls', "['plain', 'login']"]], 'false'),
      field: { type: 'constantList', variables: 'MtaEhloVariable', constants: 'MtaAuthTypeConstant' },
      expect: [{ code: 'result-type', part: 'then of condition 1', at: "['plain', 'login']", message: 'the list holds text, not constants: a list of constants is written without quotes', fix: ['[plain, login]', "['plain', 'login']"] }],
    },
    {
      name: 'milliseconds in a duration field',
      input: only('5'),
      field: { type: 'duration', variables: 'MtaEhloVariable' },
      expect: [{ code: 'result-type', at: '5', message: '`5` is 5 milliseconds: a duration is written with its unit', fix: ['5s', '5'] }],
    },
    {
      name: 'text in a duration field',
      input: only("'5 seconds'"),
      field: { type: 'duration', variables: 'MtaEhloVariable' },
      expect: [{ code: 'result-type', at: "'5 seconds'", message: "the text '5 seconds' is no value in a duration field (a duration is positive: `5s`, `100ms`): the field falls back to its default", fix: null }],
    },
    {
      name: 'a duration in an integer field',
      input: only('5s'),
      field: { type: 'integer', variables: 'MtaEhloVariable' },
      expect: [{ code: 'result-type', at: '5s', message: '`5s` is 5000 (milliseconds) in an integer field, not a duration', fix: null }],
    },
  ],
  'unescaped-dot': [
    {
      name: 'a domain pattern',
      input: "matches('@example.com$', sender)",
      field: MAIL,
      expect: [{ code: 'unescaped-dot', at: '.', message: "`.` matches any character: in '@example.com$' it reads as the dot of a domain or an address, which is `\\.`", fix: ["'@example\\.com$'", "'@example.com$'"] }],
    },
    {
      name: 'an IP address prefix',
      input: "matches('^10.0.', remote_ip)",
      field: CONNECT,
      expect: [{ code: 'unescaped-dot', at: '.', message: "`.` matches any character: in '^10.0.' it reads as the dot of a domain or an address, which is `\\.`", fix: ["'^10\\.0.'", "'^10.0.'"] }],
    },
    {
      name: 'an address pattern with two dots',
      input: "matches('^(postmaster|abuse)@mail.example.org$', rcpt)",
      field: { variables: 'MtaRcptToVariable' },
      expect: [{ code: 'unescaped-dot', at: '.', message: "`.` matches any character: in '^(postmaster|abuse)@mail.example.org$' it reads as the dot of a domain or an address, which is `\\.`", fix: ["'^(postmaster|abuse)@mail\\.example\\.org$'", "'^(postmaster|abuse)@mail.example.org$'"] }],
    },
  ],
  'never-matches': [
    {
      name: 'capitals against a lowercase value',
      input: "matches('^X-Spam', name_lower)",
      field: HEADER,
      expect: [{ code: 'never-matches', at: 'X', message: 'this pattern can never match: the capital `X`, and the subject is lowercase', fix: ["'(?i)^X-Spam'", "'^X-Spam'"] }],
    },
    {
      name: 'text after the end anchor',
      input: "matches('example$.org', value)",
      field: HEADER,
      expect: [{ code: 'never-matches', at: '.', message: 'this pattern can never match: a character after `$` (the end of the text)', fix: null }],
    },
    {
      name: 'a lowercase value compared with capitals',
      input: "name_lower == 'X-Mailer'",
      field: HEADER,
      expect: [{ code: 'never-matches', at: "'X-Mailer'", message: "'X-Mailer' has capitals and the value is lowercase: it is never equal", fix: ["'x-mailer'", "'X-Mailer'"] }],
    },
    {
      name: 'a lowercased value searched for capitals',
      input: "contains(to_lowercase(subject), 'FREE')",
      field: { variables: 'SpamGenericVariable' },
      expect: [{ code: 'never-matches', at: "'FREE'", message: "'FREE' has capitals and the value is lowercase: it is never found", fix: ["'free'", "'FREE'"] }],
    },
  ],
  'or-as-set': [
    {
      name: 'x == (a || b)',
      input: "sender_domain == ('example.org' || 'example.net')",
      field: MAIL,
      expect: [{ code: 'or-as-set', at: "('example.org' || 'example.net')", message: "`('example.org' || 'example.net')` is one value (the first of its operands that is true), not a set: sender_domain is compared with that value only", fix: ["sender_domain == 'example.org' || sender_domain == 'example.net'", "sender_domain == ('example.org' || 'example.net')"] }],
    },
    {
      name: 'x != (a || b) inside a conjunction',
      input: "is_tls && listener != ('smtp' || 'relay')",
      field: CONNECT,
      expect: [{ code: 'or-as-set', at: "('smtp' || 'relay')", message: "`('smtp' || 'relay')` is one value (the first of its operands that is true), not a set: listener is compared with that value only", fix: ["listener != 'smtp' && listener != 'relay'", "listener != ('smtp' || 'relay')"] }],
    },
    {
      name: "x == 'a' || 'b'",
      input: "listener == 'smtp' || 'submission'",
      field: CONNECT,
      expect: [{ code: 'or-as-set', at: "'submission'", message: "`'submission'` is an operand of `||` on its own, not a value listener is compared with: it is always true, and so is the whole test", fix: ["listener == 'smtp' || listener == 'submission'", "listener == 'smtp' || 'submission'"] }],
    },
    {
      name: "x == 'a' || 'b' inside a conjunction gets parentheses",
      input: "is_tls && (listener == 'smtp' || 'submission')",
      field: CONNECT,
      expect: [{ code: 'or-as-set', at: "'submission'", message: "`'submission'` is an operand of `||` on its own, not a value listener is compared with: it is always true, and so is the whole test", fix: ["listener == 'smtp' || listener == 'submission'", "(listener == 'smtp' || 'submission')"] }],
    },
  ],
  'or-default': [
    {
      name: 'a default with ||',
      input: only("'noreply@' + (sender_domain || 'example.org')"),
      field: MAIL,
      expect: [{ code: 'or-default', at: "(sender_domain || 'example.org')", message: "when `sender_domain` is empty this gives 1, not 'example.org': `||` yields its first operand or 1 or 0", fix: ["if_then(sender_domain, sender_domain, 'example.org')", "(sender_domain || 'example.org')"] }],
    },
  ],
  'always-empty': [
    {
      name: 'a queue variable in DSN settings',
      input: only("if_then(retry_num > 3, 'Mail Delivery Subsystem', 'Postmaster')"),
      field: { variables: 'MtaQueueSenderVariable' },
      expect: [{ code: 'always-empty', at: 'retry_num', message: '`retry_num` is always empty here: delivery status notification settings are evaluated on the message alone, which gives only `sender`, `sender_domain` and `priority`', fix: null }],
    },
    {
      name: 'the domain of a local part',
      input: block([["email_part(rcpt, 'domain') == 'example.org'", "split_once(rcpt, '+')[0]"]], 'rcpt'),
      field: { variables: 'MtaRcptVariable' },
      expect: [{ code: 'always-empty', part: 'if of condition 1', at: "email_part(rcpt, 'domain')", message: "`email_part(rcpt, 'domain')` is always empty: `rcpt` is only the local part here (no `@`), the server keeps the domain", fix: null }],
    },
  ],
  'outdated-lookup': [
    {
      name: 'the hostname of the default lookup',
      input: only("key_get('default', 'hostname') + ' ESMTP'"),
      field: CONNECT,
      expect: [{ code: 'outdated-lookup', at: "key_get('default', 'hostname')", message: "the `hostname` of the `default` lookup is how configurations before 0.11.2 read the server's hostname; it is `system('hostname')` since 0.16.0", fix: ["system('hostname')", "key_get('default', 'hostname')"] }],
    },
  ],
  'unexpanded-macro': [
    {
      name: 'a placeholder inside a string',
      input: only("'noreply@${sender_domain}'"),
      field: MAIL,
      expect: [{ code: 'unexpanded-macro', at: '${sender_domain}', message: '`${sender_domain}` is expanded by whatever writes the configuration file (a shell, a template), never by the expression language; in a string it stays as written', fix: ["'noreply@' + sender_domain", "'noreply@${sender_domain}'"] }],
    },
    {
      name: 'a loader macro inside a string',
      input: only("'postmaster@%{env:DOMAIN}%'"),
      field: CONNECT,
      expect: [{ code: 'unexpanded-macro', at: '%{env:DOMAIN}%', message: '`%{env:DOMAIN}%` is a macro of the configuration file loader: it is expanded in the file before an expression is compiled, never by the expression language; in a string it stays as written', fix: null }],
    },
  ],
};

/** Near misses: each must give no warning at all. */
const QUIET: Record<string, Array<{ input: string | BlockInput; field: LintField }>> = {
  'quoted-variable': [
    { input: "contains(['to', 'cc', 'bcc'], name_lower)", field: HEADER },
    { input: "eq_ignore_case(name, 'subject')", field: HEADER },
    { input: "email_part(from, 'domain') == 'example.org'", field: { variables: 'SpamEmailVariable' } },
    { input: "key_get('sender', sender)", field: MAIL },
    { input: "key_get('tls-policies', 'mx')", field: { variables: 'MtaQueueHostVariable' } },
    { input: "location == 'from'", field: { variables: 'SpamGenericVariable' } },
  ],
  'swapped-matches': [{ input: "matches('^postmaster@', 'postmaster@example.org')", field: {} }],
  'unreachable-condition': [
    { input: block([['retry_num > 3', '1'], ['retry_num > 1', '2']], '3'), field: QUEUE },
    { input: block([["counter_incr('', sender, 1) > 10", '1'], ["counter_incr('', sender, 1) > 10", '2']], '3'), field: QUEUE },
    { input: block([['local_port == 25', 'true'], ['local_port == 587 && is_tls', 'true']], 'false'), field: { variables: 'MtaEhloVariable' } },
    { input: block([["matches('^a(.)', rcpt) && $1 == 'b'", '1'], ["matches('^c(.)', rcpt) && $1 == 'b'", '2']], '3'), field: QUEUE },
    { input: block([["last_error == 'tls'", '1'], ["last_error == 'dns'", '2']], '3'), field: QUEUE },
  ],
  'ip-as-text': [
    { input: "ip == '127.0.0.2'", field: { variables: 'SpamIpVariable' } },
    { input: "remote_ip == '2001:db8::1'", field: CONNECT },
    { input: "starts_with(helo_domain, '192.168.')", field: { variables: 'MtaEhloVariable' } },
    { input: "is_ip_in_cidr(remote_ip, '10.0.0.0/8')", field: CONNECT },
  ],
  'result-type': [
    { input: only('false'), field: { type: 'optionalString', variables: 'MtaConnectionVariable' } },
    { input: only("system('hostname') + ' ESMTP'"), field: { type: 'string', variables: 'MtaConnectionVariable' } },
    { input: only('[1, 1d]'), field: { type: 'rate', variables: 'MtaRcptToVariable' } },
    { input: only('5000'), field: { type: 'duration', variables: 'MtaEhloVariable' } },
    { input: only('local_port != 25'), field: { type: 'boolean', variables: 'MtaEhloVariable' } },
    { input: only("'3'"), field: { type: 'integer', variables: 'MtaEhloVariable' } },
    { input: only("'25'"), field: {} },
  ],
  'unescaped-dot': [
    { input: "matches('^(.+)@(.+)$', rcpt)", field: { variables: 'MtaRcptToVariable' } },
    { input: "matches('@example\\.org$', rcpt)", field: { variables: 'MtaRcptToVariable' } },
    { input: "matches('^[a-z.]+@', rcpt)", field: { variables: 'MtaRcptToVariable' } },
    { input: "matches('a.*b', rcpt)", field: { variables: 'MtaRcptToVariable' } },
  ],
  'never-matches': [
    { input: "matches('(?i)^X-Spam', name_lower)", field: HEADER },
    { input: "matches('^X-Spam', name)", field: HEADER },
    { input: "matches('^\\S+$', name_lower)", field: HEADER },
    { input: "matches('^a$|^b$', value_lower)", field: HEADER },
    { input: "name_lower == 'x-mailer' && name != 'X-Mailer'", field: HEADER },
  ],
  'or-as-set': [
    { input: "listener == 'smtp' || is_tls", field: CONNECT },
    { input: "(listener == 'smtp') || (listener == 'submission')", field: CONNECT },
  ],
  'or-default': [{ input: only("is_tls || local_port == 465"), field: CONNECT }],
  'always-empty': [
    { input: only("sender_domain + ' ' + priority"), field: { variables: 'MtaQueueSenderVariable' } },
    { input: only('retry_num > 0'), field: QUEUE },
    { input: only("split_once(rcpt, '+')[0]"), field: { variables: 'MtaRcptVariable' } },
  ],
  'outdated-lookup': [{ input: only("key_get('default', 'greylist-' + sender)"), field: MAIL }],
  'unexpanded-macro': [{ input: only("'100% {ok}'"), field: MAIL }],
};

function compileFor(input: string | BlockInput, field: LintField) {
  return compile(input, {
    ...(field.variables !== undefined ? { variables: field.variables } : {}),
    ...(field.constants !== undefined ? { constants: field.constants } : {}),
  });
}

describe('lints', () => {
  it('has a table for every rule', () => {
    expect(Object.keys(TABLES).sort()).toEqual(LINT_RULES.map((r) => r.code).sort());
    expect(Object.keys(QUIET).sort()).toEqual(LINT_RULES.map((r) => r.code).sort());
  });

  for (const [code, rows] of Object.entries(TABLES)) {
    describe(code, () => {
      it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
        const found = lint(compileFor(row.input, row.field), { field: row.field });
        const got = found.map((d) => ({
          code: d.code,
          ...(d.part ? { part: describePart(d.part) } : {}),
          at: d.source.slice(d.span.start, d.span.end),
          message: d.message,
          fix: d.fix ? [d.fix.replacement, d.source.slice(d.fix.span.start, d.fix.span.end)] : null,
        }));
        expect(got).toEqual(row.expect);
        for (const d of found) {
          expect(d.severity).toBe('warning');
          if (!d.fix) continue;
          // The fix compiles and silences this warning.
          const fixed = applyFix(row.input, d);
          const again = lint(compileFor(fixed, row.field), { field: row.field });
          expect(again.filter((w) => w.code === d.code && w.part?.kind === d.part?.kind).map(renderDiagnostic)).toEqual([]);
        }
      });
      it.each((QUIET[code] ?? []).map((q) => [JSON.stringify(q.input), q] as const))('quiet: %s', (_label, q) => {
        expect(lint(compileFor(q.input, q.field), { field: q.field }).map(renderDiagnostic)).toEqual([]);
      });
    });
  }

  it('renders a warning with its caret and fix', () => {
    const [d] = lint(compileFor("starts_with(remote_ip, '10.')", CONNECT), { field: CONNECT });
    expect(renderDiagnostic(d!)).toBe(
      "warning[ip-as-text]: `remote_ip` is compared as text: a prefix of an address is not a network (line 1, column 1)\n" +
        "1 | starts_with(remote_ip, '10.')\n" +
        '  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n' +
        "  = fix: write `is_ip_in_cidr(remote_ip, '10.0.0.0/8')`",
    );
  });

  it('runs only the rules asked for, and refuses unknown ones', () => {
    const program = compileFor("starts_with(remote_ip, '10.') && matches('a.org$', 'x')", CONNECT);
    expect(lint(program, { field: CONNECT }).map((d) => d.code)).toEqual(['ip-as-text', 'unescaped-dot']);
    expect(lint(program, { field: CONNECT, rules: ['unescaped-dot'] }).map((d) => d.code)).toEqual(['unescaped-dot']);
    expect(() => lint(program, { rules: ['no-such-rule'] })).toThrow(TypeError);
    expect(() => lint(program, { field: { variables: 'NoSuchGroup' } })).toThrow(TypeError);
  });
});
