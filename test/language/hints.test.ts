/**
 * Fix-it hints on compile errors, one row per mistake people make: the source and its
 * context → the error's code, the text under the caret, the message, and the fix (its
 * replacement and the text it replaces). Every fix, applied, gives a source that compiles.
 */
import { describe, expect, it } from 'vitest';
import { compile, CompileError, type BlockInput, type CompileOptions } from '../../src/language/index.js';

interface Row {
  /** What the row shows. */
  name: string;
  source: string;
  options?: CompileOptions;
  /** Compile the source as this part of a block (the `then` of a route, the `if` of a condition). */
  as?: 'if' | 'then';
  code: string;
  /** The text under the caret. */
  at: string;
  /** The message without position; a RegExp for the long context lists. */
  message: string | RegExp;
  /** The replacement, and the text it replaces; null when the error has no evident fix. */
  fix: [replacement: string, replaces: string] | null;
}

const MTA_RCPT = { variables: 'MtaRcptToVariable' };
const ROUTE = { variables: 'MtaQueueRcptVariable' };

const ROWS: Row[] = [
  // The language's history
  {
    name: 'is_local_domain lost its directory argument',
    source: "is_local_domain('*', rcpt_domain)",
    options: MTA_RCPT,
    code: 'arity',
    at: "is_local_domain('*', rcpt_domain)",
    message: '`is_local_domain` expects 1 argument, got 2: the directory argument was removed in 0.16.0 (the server has one directory)',
    fix: ['is_local_domain(rcpt_domain)', "is_local_domain('*', rcpt_domain)"],
  },
  {
    name: 'is_local_address lost its directory argument',
    source: "is_local_address('default', rcpt)",
    options: MTA_RCPT,
    code: 'arity',
    at: "is_local_address('default', rcpt)",
    message: '`is_local_address` expects 1 argument, got 2: the directory argument was removed in 0.16.0 (the server has one directory)',
    fix: ['is_local_address(rcpt)', "is_local_address('default', rcpt)"],
  },
  {
    name: 'url_path is path',
    source: "url_path == '/metrics'",
    options: { variables: 'HttpVariable' },
    code: 'unknown-variable',
    at: 'url_path',
    message: 'unknown name `url_path`: in HTTP expressions it is `path` since 0.16.0',
    fix: ['path', 'url_path'],
  },
  {
    name: 'address is rcpt in sub-addressing rules',
    source: "split_once(address, '+')[0]",
    options: { variables: 'MtaRcptVariable' },
    code: 'unknown-variable',
    at: 'address',
    message: 'unknown name `address`: in sub-addressing and catch-all rules it is `rcpt` since 0.16.0',
    fix: ['rcpt', 'address'],
  },
  {
    name: 'email is value in header rules',
    source: "contains(email, '@')",
    options: { variables: 'SpamHeaderVariable' },
    code: 'variable-not-available',
    at: 'email',
    message: /^variable `email` is not available in this context \(SpamHeaderVariable\); it belongs to SpamEmailVariable\. .*; in spam filter header rules it is `value` since 0\.16\.0$/,
    fix: ['value', 'email'],
  },
  {
    name: 'ehlo_domain is helo_domain in spam rules',
    source: "ends_with(ehlo_domain, '.local')",
    options: { variables: 'SpamGenericVariable' },
    code: 'unknown-variable',
    at: 'ehlo_domain',
    message: 'unknown name `ehlo_domain`: in spam filter rules it is `helo_domain` since 0.16.0',
    fix: ['helo_domain', 'ehlo_domain'],
  },
  {
    name: 'config_get of the hostname is system',
    source: "config_get('server.hostname') + ' ESMTP'",
    options: { variables: 'MtaConnectionVariable' },
    code: 'unknown-function',
    at: 'config_get',
    message: 'unknown function `config_get`: it was removed in 0.16.0 (it read settings from 0.11.2 on): expressions read the host\'s values with `system(NAME)`',
    fix: ["system('hostname')", "config_get('server.hostname')"],
  },
  {
    name: 'config_get of the report domain is system',
    source: "'MAILER-DAEMON@' + config_get('report.domain')",
    options: { variables: 'MtaQueueSenderVariable' },
    code: 'unknown-function',
    at: 'config_get',
    message: 'unknown function `config_get`: it was removed in 0.16.0 (it read settings from 0.11.2 on): expressions read the host\'s values with `system(NAME)`',
    fix: ["system('domain')", "config_get('report.domain')"],
  },
  {
    name: 'config_get of another setting has no replacement',
    source: "config_get('queue.threads.remote')",
    options: {},
    code: 'unknown-function',
    at: 'config_get',
    message: 'unknown function `config_get`: it was removed in 0.16.0 (it read settings from 0.11.2 on): expressions read the host\'s values with `system(NAME)`',
    fix: null,
  },
  {
    name: 'a setting name given to system',
    source: "system('server.hostname')",
    options: {},
    code: 'invalid-system-name',
    at: "'server.hostname'",
    message: "unknown system value 'server.hostname': the setting `server.hostname` is `system('hostname')` since 0.16.0 (known: domain, hostname, node_id, node_hostname, node_role)",
    fix: ["'hostname'", "'server.hostname'"],
  },
  // Functions invented by analogy with other languages
  {
    name: 'ip_in_list with a list of networks',
    source: "ip_in_list(remote_ip, ['10.0.0.0/8', '192.168.0.0/16'])",
    options: { variables: 'MtaConnectionVariable' },
    code: 'unknown-function',
    at: 'ip_in_list',
    message: 'unknown function `ip_in_list`: the built-in that does this is `is_ip_in_cidr`',
    fix: ["(is_ip_in_cidr(remote_ip, '10.0.0.0/8') || is_ip_in_cidr(remote_ip, '192.168.0.0/16'))", "ip_in_list(remote_ip, ['10.0.0.0/8', '192.168.0.0/16'])"],
  },
  {
    name: 'matches_cidr with the network first',
    source: "!matches_cidr('10.0.0.0/8', remote_ip)",
    options: { variables: 'MtaConnectionVariable' },
    code: 'unknown-function',
    at: 'matches_cidr',
    message: 'unknown function `matches_cidr`: the built-in that does this is `is_ip_in_cidr`',
    fix: ["is_ip_in_cidr(remote_ip, '10.0.0.0/8')", "matches_cidr('10.0.0.0/8', remote_ip)"],
  },
  {
    name: 'in_cidr',
    source: "in_cidr(remote_ip, '192.0.2.0/24')",
    options: { variables: 'MtaConnectionVariable' },
    code: 'unknown-function',
    at: 'in_cidr',
    message: 'unknown function `in_cidr`: the built-in that does this is `is_ip_in_cidr`',
    fix: ["is_ip_in_cidr(remote_ip, '192.0.2.0/24')", "in_cidr(remote_ip, '192.0.2.0/24')"],
  },
  {
    name: 'lookup as a test is key_exists',
    source: "lookup('blocked-domains', sender_domain)",
    options: { variables: 'MtaMailFromVariable' },
    as: 'if',
    code: 'unknown-function',
    at: 'lookup',
    message: 'unknown function `lookup`: the built-in that does this is `key_get` (`key_exists` to test for a key)',
    fix: ["key_exists('blocked-domains', sender_domain)", "lookup('blocked-domains', sender_domain)"],
  },
  {
    name: 'lookup as a value is key_get',
    source: "lookup('relay-hosts', rcpt_domain)",
    options: ROUTE,
    as: 'then',
    code: 'unknown-function',
    at: 'lookup',
    message: 'unknown function `lookup`: the built-in that does this is `key_get` (`key_exists` to test for a key)',
    fix: ["key_get('relay-hosts', rcpt_domain)", "lookup('relay-hosts', rcpt_domain)"],
  },
  {
    name: 'regex with the subject first',
    source: "regex(rcpt, '^postmaster@')",
    options: MTA_RCPT,
    code: 'unknown-function',
    at: 'regex',
    message: 'unknown function `regex`: the built-in that does this is `matches`',
    fix: ["matches('^postmaster@', rcpt)", "regex(rcpt, '^postmaster@')"],
  },
  {
    name: 'lower',
    source: "lower(sender_domain) == 'example.org'",
    options: { variables: 'MtaMailFromVariable' },
    code: 'unknown-function',
    at: 'lower',
    message: 'unknown function `lower`: the built-in that does this is `to_lowercase`',
    fix: ['to_lowercase', 'lower'],
  },
  {
    name: 'length',
    source: 'length(recipients) > 10',
    options: MTA_RCPT,
    code: 'unknown-function',
    at: 'length',
    message: 'unknown function `length`: the built-in that does this is `len`',
    fix: ['len', 'length'],
  },
  {
    name: 'size called like a function, where size is a variable',
    source: 'size(recipients) > 10',
    options: ROUTE,
    code: 'not-a-function',
    at: 'size',
    message: '`size` is a variable, not a function; the built-in that does this is `len`',
    fix: ['len', 'size'],
  },
  {
    name: 'in_list takes the needle first',
    source: "in_list(listener, ['smtp', 'submission'])",
    options: { variables: 'MtaEhloVariable' },
    code: 'unknown-function',
    at: 'in_list',
    message: 'unknown function `in_list`: the built-in that does this is `contains`',
    fix: ["contains(['smtp', 'submission'], listener)", "in_list(listener, ['smtp', 'submission'])"],
  },
  {
    name: 'a misspelt function',
    source: "starts_wth(rcpt, 'x')",
    options: MTA_RCPT,
    code: 'unknown-function',
    at: 'starts_wth',
    message: 'unknown function `starts_wth`; did you mean `starts_with`?',
    fix: ['starts_with', 'starts_wth'],
  },
  // Bare words, case, hyphens
  {
    name: 'a bare word meant as text',
    source: 'relay',
    options: ROUTE,
    as: 'then',
    code: 'unknown-variable',
    at: 'relay',
    message: 'unknown name `relay` (a bare word is read as a variable or constant name)',
    fix: ["'relay'", 'relay'],
  },
  {
    name: 'a bare word compared with a variable',
    source: 'local_part == donotreply',
    options: { variables: ['local_part'] },
    code: 'unknown-variable',
    at: 'donotreply',
    message: 'unknown name `donotreply` (a bare word is read as a variable or constant name)',
    fix: ["'donotreply'", 'donotreply'],
  },
  {
    name: 'a variable of another context written as a route name',
    source: 'local',
    options: ROUTE,
    as: 'then',
    code: 'variable-not-available',
    at: 'local',
    message: /^variable `local` is not available in this context \(MtaQueueRcptVariable\); it belongs to SpamEmailVariable\. .* \(a bare word is read as a variable name\)$/,
    fix: ["'local'", 'local'],
  },
  {
    name: 'an unknown word as a condition is not quoted',
    source: 'trusted_client',
    options: MTA_RCPT,
    as: 'if',
    code: 'unknown-variable',
    at: 'trusted_client',
    message: 'unknown name `trusted_client`',
    fix: null,
  },
  {
    name: 'a constant in capitals',
    source: '[plain, LOGIN]',
    options: { variables: 'MtaEhloVariable', constants: 'MtaAuthTypeConstant' },
    code: 'unknown-variable',
    at: 'LOGIN',
    message: 'unknown name `LOGIN`: names are case-sensitive',
    fix: ['login', 'LOGIN'],
  },
  {
    name: 'TRUE',
    source: 'TRUE',
    options: { variables: 'MtaEhloVariable' },
    code: 'unknown-variable',
    at: 'TRUE',
    message: 'unknown name `TRUE`: names are case-sensitive',
    fix: ['true', 'TRUE'],
  },
  {
    name: 'a hyphenated variable name (the rule keys before 0.6.0)',
    source: 'is_empty(authenticated-as)',
    options: MTA_RCPT,
    code: 'unknown-variable',
    at: 'authenticated-as',
    message: '`authenticated-as` is read as `authenticated - as`, a subtraction: a name cannot contain `-` (names are written with `_` since 0.6.0)',
    fix: ['authenticated_as', 'authenticated-as'],
  },
  {
    name: 'a hyphenated word meant as text',
    source: "key_exists(in-memory, rcpt)",
    options: MTA_RCPT,
    code: 'unknown-variable',
    at: 'in-memory',
    message: '`in-memory` is read as `in - memory`, a subtraction: a name cannot contain `-`; quote it to mean the text',
    fix: ["'in-memory'", 'in-memory'],
  },
  // Configuration file macros
  {
    name: 'an env macro',
    source: "%{env:HOSTNAME}% + ' ESMTP'",
    options: { variables: 'MtaConnectionVariable' },
    code: 'invalid-character',
    at: '%{env:HOSTNAME}%',
    message: '`%{env:HOSTNAME}%` is a macro of the configuration file loader: it is expanded in the file before an expression is compiled, never by the expression language',
    fix: null,
  },
  {
    name: 'a cfg macro of the hostname',
    source: '%{cfg:server.hostname}%',
    options: { variables: 'MtaConnectionVariable' },
    code: 'invalid-character',
    at: '%{cfg:server.hostname}%',
    message: '`%{cfg:server.hostname}%` is a macro of the configuration file loader: it is expanded in the file before an expression is compiled, never by the expression language',
    fix: ["system('hostname')", '%{cfg:server.hostname}%'],
  },
  {
    name: 'a template placeholder',
    source: "'noreply@' + ${sender_domain}",
    options: { variables: 'MtaMailFromVariable' },
    code: 'invalid-character',
    at: '${sender_domain}',
    message: '`${sender_domain}` is expanded by whatever writes the configuration file (a shell, a template), never by the expression language',
    fix: ['sender_domain', '${sender_domain}'],
  },
  // A variable of another context
  {
    name: 'rcpt in the sender context of DSN settings',
    source: "'postmaster@' + email_part(rcpt, 'domain')",
    options: { variables: 'MtaQueueSenderVariable' },
    code: 'variable-not-available',
    at: 'rcpt',
    message: /^variable `rcpt` is not available in this context \(MtaQueueSenderVariable\); .*\. Here `sender` carries the same thing \(a delivery status notification goes to the sender\)$/,
    fix: ['sender', 'rcpt'],
  },
  {
    name: 'local_port in a queue context',
    source: 'local_port == 587',
    options: ROUTE,
    code: 'variable-not-available',
    at: 'local_port',
    message: /\. Here `received_via_port` carries the same thing \(the local port the message was received on\)$/,
    fix: ['received_via_port', 'local_port'],
  },
  {
    name: 'sender in a spam rule',
    source: "ends_with(sender, '.invalid')",
    options: { variables: 'SpamGenericVariable' },
    code: 'variable-not-available',
    at: 'sender',
    message: /\. Here `env_from` carries the same thing \(the envelope sender \(MAIL FROM\)\)$/,
    fix: ['env_from', 'sender'],
  },
  {
    name: 'rcpt_domain where rcpt is a local part',
    source: "rcpt_domain == 'example.org'",
    options: { variables: 'MtaRcptVariable' },
    code: 'variable-not-available',
    at: 'rcpt_domain',
    message: /^variable `rcpt_domain` is not available in this context \(MtaRcptVariable\); .* \(`rcpt` holds only the local part here: the server keeps the domain\)$/,
    fix: null,
  },
  // Others with an evident fix
  {
    name: 'matches with the pattern second',
    source: "matches(rcpt, '^postmaster@')",
    options: MTA_RCPT,
    code: 'literal-required',
    at: 'rcpt',
    message: 'the first argument of `matches` must be a string literal (the regular expression)',
    fix: ["matches('^postmaster@', rcpt)", "matches(rcpt, '^postmaster@')"],
  },
  {
    name: 'a misspelt variable',
    source: 'retry_nm > 3',
    options: ROUTE,
    code: 'unknown-variable',
    at: 'retry_nm',
    message: 'unknown name `retry_nm`; did you mean `retry_num`?',
    fix: ['retry_num', 'retry_nm'],
  },
  {
    name: 'a constant in a field that takes none, as a result',
    source: 'plain',
    options: { variables: 'MtaConnectionVariable' },
    as: 'then',
    code: 'constant-not-available',
    at: 'plain',
    message: 'constant `plain` is not available here (this field accepts no constants); it belongs to MtaAuthTypeConstant',
    fix: ["'plain'", 'plain'],
  },
];

function inPart(row: Row, source: string): string | BlockInput {
  if (row.as === 'if') return { match: [{ if: source, then: 'true' }], else: 'false' };
  if (row.as === 'then') return { match: [{ if: 'true', then: source }], else: "'x'" };
  return source;
}

function errorOf(input: string | BlockInput, options: CompileOptions = {}): CompileError | undefined {
  try {
    compile(input, options);
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  return undefined;
}

describe('fix-it hints', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const e = errorOf(inPart(row, row.source), row.options);
    expect(e, 'the source compiles').toBeDefined();
    expect(e!.code).toBe(row.code);
    expect(row.source.slice(e!.offset, e!.offset + e!.length)).toBe(row.at);
    if (typeof row.message === 'string') expect(e!.detail).toBe(row.message);
    else expect(e!.detail).toMatch(row.message);
    if (row.fix === null) {
      expect(e!.hint).toBeUndefined();
      return;
    }
    const hint = e!.hint!;
    expect(hint, 'a hint').toBeDefined();
    expect([hint.replacement, row.source.slice(hint.span.start, hint.span.end)]).toEqual(row.fix);
    // The fix, applied, compiles in the same context.
    const fixed = row.source.slice(0, hint.span.start) + hint.replacement + row.source.slice(hint.span.end);
    expect(errorOf(inPart(row, fixed), row.options)?.message).toBeUndefined();
  });

  it('shows the fix under the caret, and in JSON', () => {
    const e = errorOf("is_local_domain('*', rcpt_domain)", MTA_RCPT)!;
    expect(e.render()).toBe(
      'error[arity]: `is_local_domain` expects 1 argument, got 2: the directory argument was removed in 0.16.0 (the server has one directory) (line 1, column 1)\n' +
        "1 | is_local_domain('*', rcpt_domain)\n" +
        '  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n' +
        '  = fix: write `is_local_domain(rcpt_domain)`',
    );
    expect(e.toJSON().hint).toEqual({ replacement: 'is_local_domain(rcpt_domain)', span: { start: 0, end: 33 }, description: 'write' });
  });

  it('keeps the hint when an error is attributed to a block part', () => {
    const e = errorOf({ match: [{ if: 'true', then: 'relay' }], else: "'mx'" }, ROUTE)!;
    expect(e.part).toEqual({ kind: 'then', condition: 1 });
    expect(e.hint?.replacement).toBe("'relay'");
    expect(e.render()).toContain('(then of condition 1, line 1, column 1)');
  });

  it('leaves a subtraction of two known names alone, and one unknown name to its own error', () => {
    expect(compile('queue_age-expires_in', ROUTE).evaluate({ queue_age: 10, expires_in: 4 })).toBe(6);
    const e = errorOf('retry_num-retries', ROUTE)!;
    expect([e.code, e.detail]).toEqual(['unknown-variable', 'unknown name `retries` (a bare word is read as a variable or constant name)']);
    const domain = errorOf("sender-domain == 'example.org'", { variables: 'MtaMailFromVariable' })!;
    expect(domain.hint?.replacement).toBe('sender_domain');
  });
});
