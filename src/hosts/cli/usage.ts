/**
 * The command table: every command with its synopsis, its own flags and the module that
 * runs it (imported only when the command runs, so `eval` never loads the servers). The
 * usage text is made from this table.
 */
import { DELIVERY_FLAGS } from './delivery-flags.js';
import type { CommandArgs, Flag } from './io.js';

export { UsageError, type CommandArgs, type Flag, type FlagValues } from './io.js';

export interface Command {
  name: string;
  /** Positional words after the command, as shown in the usage (each in its own words). */
  operands: string;
  summary: string;
  /** How many positional words the command takes. */
  positionals: { min: number; max: number };
  flags: Readonly<Record<string, Flag>>;
  /** Loads the command's module and runs it; resolves with the exit code. */
  run(args: CommandArgs): Promise<number>;
}

const EXPRESSION_FLAGS: Readonly<Record<string, Flag>> = {
  variables: { type: 'string', value: 'GROUP', description: 'the variable group (MtaEhloVariable, …) or comma-separated names' },
  constants: { type: 'string', value: 'GROUP', description: 'the constant group (MtaAuthTypeConstant, …) or comma-separated names' },
  vars: { type: 'string', value: 'JSON', description: "the session's variables, e.g. '{\"local_port\": 587, \"is_tls\": true}'" },
  env: { type: 'string', value: 'JSON', description: 'host environment: {"system": {…}, "globals": {…}, "metrics": {…}, "lookups": {…}}' },
  block: { type: 'string', value: 'JSON', description: 'an if/then/else block: {"match": [{"if": …, "then": …}], "else": …}' },
  file: { type: 'string', value: 'FILE', description: 'a file holding a block (JSON) or an expression (text)' },
  'no-optimize': { type: 'boolean', description: 'compile without the optimiser passes' },
};


/** The log of the servers. */
export const LOG_FLAGS: Readonly<Record<string, Flag>> = {
  'log-format': { type: 'string', value: 'FORMAT', description: 'the log on stderr: text (default) or json (one object a line)' },
};

const SMTP_FLAGS: Readonly<Record<string, Flag>> = {
  hostname: { type: 'string', value: 'NAME', description: "the server's hostname: system('hostname') and the certificate (default localhost)" },
  'smtp-port': { type: 'string', value: 'PORT', description: 'port of the smtp listener, seen by expressions as local_port 25 (default 2525; 0: any free port)' },
  'submission-port': { type: 'string', value: 'PORT', description: 'port of the submission listener, seen as local_port 587 (default 2587)' },
  host: { type: 'string', value: 'ADDR', description: 'address the listeners bind (default 127.0.0.1)' },
  config: { type: 'string', value: 'FILE', description: 'server configuration file (JSON): field overrides, users, tls, tokens, stores, directory, dns, configStore' },
  verbose: { type: 'boolean', description: 'log the SMTP traffic' },
  record: { type: 'string', value: 'FILE', description: "append each session's evaluated inputs to FILE (JSON lines, for replay; no message, password or token)" },
  ...DELIVERY_FLAGS,
};

const CLIENT_FLAGS: Readonly<Record<string, Flag>> = {
  url: { type: 'string', value: 'URL', description: 'the management API (default $MTA_EXPR_URL or http://127.0.0.1:8080)' },
  token: { type: 'string', value: 'TOKEN', description: 'bearer token (default $MTA_EXPR_TOKEN, then $MTA_EXPR_ADMIN_TOKEN)' },
  insecure: { type: 'boolean', description: "accept the server's TLS certificate unchecked (a self-signed certificate)" },
};

/** Where `simulate`, `test` and `replay` take the configuration, the users and the lookups from. */
const POLICY_FLAGS: Readonly<Record<string, Flag>> = {
  config: { type: 'string', value: 'FILE', description: 'the configuration: a server configuration file or a snapshot file (default: the defaults)' },
  url: { type: 'string', value: 'URL', description: 'instead, the live configuration of mta-expr serve at URL' },
  token: CLIENT_FLAGS.token!,
  insecure: CLIENT_FLAGS.insecure!,
  backends: { type: 'string', value: 'FILE', description: 'the server configuration file serve runs with: its users (and lookup backends)' },
  lookups: { type: 'string', value: 'FILE', description: 'in-memory lookup data (JSON: domains, addresses, stores, dns)' },
  hostname: { type: 'string', value: 'NAME', description: "system('hostname') in the expressions (default localhost)" },
};

/** The API limits, flags of `serve`. */
const LIMIT_FLAGS: Readonly<Record<string, Flag>> = {
  'max-size-request': { type: 'string', value: 'BYTES', description: 'largest request body (default 10000000)' },
  'max-calls-in-request': { type: 'string', value: 'N', description: 'method calls in one request (default 16)' },
  'max-concurrent-requests': { type: 'string', value: 'N', description: 'requests of one token answered at once (default 4)' },
  'max-objects-in-get': { type: 'string', value: 'N', description: 'ids in one /get (default 500)' },
  'max-objects-in-set': { type: 'string', value: 'N', description: 'creates, updates and destroys in one /set (default 500)' },
  'max-size-response': { type: 'string', value: 'BYTES', description: 'largest response body (default 10000000)' },
};

const lints = () => import('./lint-command.js');
const expr = () => import('./expr-commands.js');
const servers = () => import('./server-commands.js');
const objects = () => import('./client/objects.js');
const configuration = () => import('./client/configuration.js');
const history = () => import('./client/history.js');
const policyd = () => import('./policyd-command.js');
const simulate = () => import('./simulate-command.js');
const replay = () => import('./replay-command.js');
const policyTest = () => import('./test-command.js');

const SOURCE = { min: 0, max: 1 };

export const COMMANDS: readonly Command[] = [
  {
    name: 'eval',
    operands: 'EXPR | --block JSON | --file FILE | --jsonl',
    summary: 'print the value as JSON',
    positionals: SOURCE,
    flags: { ...EXPRESSION_FLAGS, jsonl: { type: 'boolean', description: 'one JSON case per stdin line, one answer per stdout line' } },
    run: async (a) => (await expr()).evalCommand('eval', a),
  },
  {
    name: 'check',
    operands: 'EXPR | --block JSON | --file FILE | --jsonl',
    summary: 'compile only; exit 1 with the error on failure',
    positionals: SOURCE,
    flags: { ...EXPRESSION_FLAGS, jsonl: { type: 'boolean', description: 'one JSON case per stdin line, one answer per stdout line' } },
    run: async (a) => (await expr()).evalCommand('check', a),
  },
  {
    name: 'explain',
    operands: 'EXPR | --block JSON | --file FILE',
    summary: 'each condition, the branch taken, the captures and the value',
    positionals: SOURCE,
    flags: { ...EXPRESSION_FLAGS, json: { type: 'boolean', description: 'print the explanation as JSON' } },
    run: async (a) => (await expr()).evalCommand('explain', a),
  },
  {
    name: 'lint',
    operands: 'EXPR | --block JSON | --file FILE | --config FILE | --jsonl',
    summary: 'warnings about expressions that compile but misbehave, with fixes; never blocks',
    positionals: SOURCE,
    flags: {
      variables: EXPRESSION_FLAGS.variables!,
      constants: EXPRESSION_FLAGS.constants!,
      field: { type: 'string', value: 'OBJECT.FIELD', description: "the schema field the block is for: its variables, constants and type (e.g. MtaStageAuth.require)" },
      type: { type: 'string', value: 'TYPE', description: 'the value type of a field the schema does not describe (boolean, duration, rate, …)' },
      block: EXPRESSION_FLAGS.block!,
      file: EXPRESSION_FLAGS.file!,
      config: { type: 'string', value: 'FILE', description: 'a server configuration file: lint every field it sets' },
      jsonl: { type: 'boolean', description: 'one JSON case per stdin line ({"expr"|"block", "field" | "variables", "constants", "type"}), one answer per line' },
      json: { type: 'boolean', description: 'print the warnings as JSON' },
      'max-warnings': { type: 'string', value: 'N', description: 'exit 1 when there are more than N warnings' },
    },
    run: async (a) => (await lints()).lintCommand(a),
  },
  {
    name: 'smtp',
    operands: '',
    summary: 'an SMTP server applying the session policy of the configuration file',
    positionals: { min: 0, max: 0 },
    flags: { ...SMTP_FLAGS, ...LOG_FLAGS },
    run: async (a) => (await servers()).smtpCommand(a),
  },
  {
    name: 'serve',
    operands: '--data DIR',
    summary: 'the management API on a data directory (with --smtp, the SMTP server on the live configuration)',
    positionals: { min: 0, max: 0 },
    flags: {
      data: { type: 'string', value: 'DIR', description: 'where the configuration and its history are stored (required unless --config has a configStore)' },
      listen: { type: 'string', value: 'HOST:PORT', description: 'address of the API (default 127.0.0.1:8080; port 0: any free port)' },
      https: { type: 'boolean', description: "serve HTTPS with the configuration file's tls, or a self-signed certificate for --hostname" },
      ...LIMIT_FLAGS,
      smtp: { type: 'boolean', description: 'also run the SMTP server (the smtp flags apply)' },
      ...SMTP_FLAGS,
      ...LOG_FLAGS,
    },
    run: async (a) => (await servers()).serveCommand(a),
  },
  {
    name: 'get',
    operands: 'OBJECT [singleton]',
    summary: 'read an object through the management API (each field, its default marked)',
    positionals: { min: 1, max: 2 },
    flags: {
      ...CLIENT_FLAGS,
      fields: { type: 'string', value: 'A,B', description: 'only these fields' },
      json: { type: 'boolean', description: 'print the object as one JSON line' },
    },
    run: async (a) => (await objects()).getCommand(a),
  },
  {
    name: 'update',
    operands: 'OBJECT [singleton] --field NAME=BLOCK …',
    summary: 'change fields through the management API (or --json PATCH, --file, --stdin; null restores a default)',
    positionals: { min: 1, max: 2 },
    flags: {
      ...CLIENT_FLAGS,
      field: { type: 'string', multiple: true, value: 'NAME=BLOCK', description: 'a field and its block (JSON), or NAME/PATH=VALUE: a value inside the block, e.g. maxFailures/else=5' },
      json: { type: 'string', value: 'PATCH', description: 'the patch object, e.g. \'{"maxFailures": {"else": "5"}}\'' },
      file: { type: 'string', value: 'FILE', description: 'a file holding the patch object' },
      stdin: { type: 'boolean', description: 'read the patch object from stdin' },
      'if-in-state': { type: 'string', value: 'STATE', description: "change only if the object's state is STATE" },
    },
    run: async (a) => (await objects()).updateCommand(a),
  },
  {
    name: 'describe',
    operands: 'OBJECT',
    summary: "each field's type, default, description, and the variables and constants of its context",
    positionals: { min: 1, max: 1 },
    flags: CLIENT_FLAGS,
    run: async (a) => (await objects()).describeCommand(a),
  },
  {
    name: 'snapshot',
    operands: '[OBJECT…]',
    summary: "print every object's non-default fields as JSON (a file for apply)",
    positionals: { min: 0, max: Infinity },
    flags: CLIENT_FLAGS,
    run: async (a) => (await configuration()).snapshotCommand(a),
  },
  {
    name: 'apply',
    operands: 'FILE',
    summary: 'make the server match a snapshot file, all or nothing, showing each change',
    positionals: { min: 1, max: 1 },
    flags: {
      ...CLIENT_FLAGS,
      'dry-run': { type: 'boolean', description: 'show what would change; change nothing' },
      'exit-code': { type: 'boolean', description: 'with --dry-run: exit 3 when something would change' },
    },
    run: async (a) => (await configuration()).applyCommand(a),
  },
  {
    name: 'history',
    operands: 'OBJECT',
    summary: 'the accepted changes of an object: when, which token, which fields, the states',
    positionals: { min: 1, max: 1 },
    flags: {
      ...CLIENT_FLAGS,
      limit: { type: 'string', value: 'N', description: 'only the last N changes' },
      json: { type: 'boolean', description: 'one JSON line per change, with the old and new blocks' },
    },
    run: async (a) => (await history()).historyCommand(a),
  },
  {
    name: 'diff',
    operands: 'OBJECT STATE [STATE]',
    summary: 'what changed between two states of an object (the second: the current one)',
    positionals: { min: 2, max: 3 },
    flags: CLIENT_FLAGS,
    run: async (a) => (await history()).diffCommand(a),
  },
  {
    name: 'rollback',
    operands: 'OBJECT --to STATE',
    summary: 'make an object as it was in an earlier state (a normal, validated update)',
    positionals: { min: 1, max: 1 },
    flags: {
      ...CLIENT_FLAGS,
      to: { type: 'string', value: 'STATE', description: 'the state to return to (required)' },
      'dry-run': { type: 'boolean', description: 'show what would change; change nothing' },
    },
    run: async (a) => (await history()).rollbackCommand(a),
  },
  {
    name: 'policyd',
    operands: '--config FILE | --url URL',
    summary: "the Postfix policy service (check_policy_service) on a configuration file or on serve's live configuration",
    positionals: { min: 0, max: 0 },
    flags: {
      listen: { type: 'string', value: 'HOST:PORT', description: 'address of the service (default 127.0.0.1:10040; port 0: any free port)' },
      config: { type: 'string', value: 'FILE', description: 'configuration file (JSON, as for smtp --config), read again when it changes; its stores, directory and dns back the lookups' },
      lookups: { type: 'string', value: 'FILE', description: 'the stores, directory and dns of this JSON file back the lookups (as in a server configuration file; default: those of --config)' },
      ...CLIENT_FLAGS,
      refresh: { type: 'string', value: 'MS', description: 'with --url: read the configuration again after this many milliseconds (default 1000)' },
      hostname: { type: 'string', value: 'NAME', description: "system('hostname') in the expressions (default localhost)" },
      listener: { type: 'string', multiple: true, value: 'PORT=NAME[:PORT]', description: "Postfix's server_port PORT is the listener NAME, seen as local_port PORT (e.g. 2587=submission:587)" },
      'sender-logins': { type: 'string', value: 'FILE', description: 'who may send as whom, for mustMatchSender (the source format of smtpd_sender_login_maps)' },
      verbose: { type: 'boolean', description: 'log every decision' },
    },
    run: async (a) => (await policyd()).policydCommand(a),
  },
  {
    name: 'simulate',
    operands: '',
    summary: 'a fake SMTP session on the terminal (or a piped script): each reply the SMTP server would send, and the fields each command evaluated',
    positionals: { min: 0, max: 0 },
    flags: {
      ...POLICY_FLAGS,
      'remote-ip': { type: 'string', value: 'IP', description: "the client's address (default 127.0.0.1)" },
      'local-port': { type: 'string', value: 'PORT', description: 'the port the client connects to, seen as local_port (default 25)' },
      listener: { type: 'string', value: 'NAME', description: 'the listener (default: submission for 587, submissions for 465, else smtp)' },
      tls: { type: 'boolean', description: 'the connection is TLS from the start (implicit TLS)' },
      json: { type: 'boolean', description: 'one JSON event a line: the command, the reply, the fields, the wait' },
    },
    run: async (a) => (await simulate()).simulateCommand(a),
  },
  {
    name: 'test',
    operands: 'FILE…',
    summary: 'policy unit tests: each case of the test files, what differs, a summary; exit 1 when a case fails',
    positionals: { min: 1, max: Infinity },
    flags: {
      ...POLICY_FLAGS,
      config: { type: 'string', value: 'FILE', description: "the configuration under test instead of the files' own (a server configuration file or a snapshot file)" },
      junit: { type: 'string', value: 'FILE', description: 'write the results as JUnit XML' },
      coverage: { type: 'boolean', description: 'print the branch coverage of each configuration (never-taken branches by line)' },
      'coverage-json': { type: 'string', value: 'FILE', description: 'write the coverage as JSON' },
    },
    run: async (a) => (await policyTest()).testCommand(a),
  },
  {
    name: 'replay',
    operands: 'FILE… --config CANDIDATE',
    summary: 'what a candidate configuration would change in sessions recorded by smtp --record',
    positionals: { min: 1, max: Infinity },
    flags: {
      config: { type: 'string', value: 'FILE', description: 'the candidate configuration (a server configuration file or a snapshot file; required)' },
      current: { type: 'string', value: 'FILE', description: 'the current configuration (default: the defaults, or the live one with --url)' },
      url: { type: 'string', value: 'URL', description: 'the current configuration is the live one of mta-expr serve at URL' },
      token: CLIENT_FLAGS.token!,
      insecure: CLIENT_FLAGS.insecure!,
      backends: POLICY_FLAGS.backends!,
      lookups: POLICY_FLAGS.lookups!,
      hostname: POLICY_FLAGS.hostname!,
      examples: { type: 'string', value: 'N', description: 'examples shown per change (default 3)' },
      json: { type: 'boolean', description: 'print the report as one JSON line' },
      'exit-code': { type: 'boolean', description: 'exit 3 when a decision would change' },
    },
    run: async (a) => (await replay()).replayCommand(a),
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The general usage: one line per command. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.operands}`.length));
  const lines = COMMANDS.map((c) => `  mta-expr ${`${c.name} ${c.operands}`.padEnd(width)}  ${c.summary}`);
  return `Usage:\n${lines.join('\n')}\n  mta-expr --version\n\nRun \`mta-expr COMMAND --help\` for the flags of a command.\n`;
}

/** The usage of one command, with its flags. */
export function commandUsage(command: Command): string {
  const flags = Object.entries(command.flags).map(([name, f]) => [`--${name}${f.value ? ' ' + f.value : ''}`, f.description + (f.multiple ? ' (repeatable)' : '')] as const);
  const width = Math.max(0, ...flags.map(([f]) => f.length));
  const list = flags.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`).join('\n');
  return `Usage: mta-expr ${command.name}${command.operands ? ' ' + command.operands : ''}${flags.length ? ' [flags]' : ''}\n  ${command.summary}\n${flags.length ? `\nFlags:\n${list}\n` : ''}`;
}
