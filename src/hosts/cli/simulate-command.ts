/**
 * `mta-expr simulate`: a fake SMTP session on the terminal, through the real SMTP server
 * over an in-memory connection (smtp/simulation.ts). Each line read from stdin is one
 * command (typed, or a piped script); each reply is printed as the server sends it, and
 * under it every field the command made the policy evaluate. `--json`: one event a line.
 */
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import { str } from '../json.js';
import { Simulator, type Exchange, type SimulatedConnection } from '../smtp/simulation.js';
import { selfSignedCertificate } from '../smtp/tls.js';
import { CommandError, styles, UsageError, useColor, type CommandArgs, type FlagValues, type Io } from './io.js';
import { port } from './listen.js';
import { policySetup, type PolicySetup } from './policy-setup.js';
import { traceLines } from './trace-text.js';

/** The connection the flags describe. */
export function connectionOf(values: FlagValues, command: string): SimulatedConnection {
  const remote = str(values['remote-ip']) ?? '127.0.0.1';
  if (isIP(remote) === 0) throw new UsageError(`--remote-ip must be an IP address, not \`${remote}\``, command);
  const localPort = port(str(values['local-port']), 25, '--local-port', command);
  const listener = str(values.listener);
  if (listener !== undefined && !/^[A-Za-z0-9_.-]+$/.test(listener)) throw new UsageError(`--listener must be a name such as submission, not \`${listener}\``, command);
  return { remote_ip: remote, local_port: localPort, tls: values.tls === true, ...(listener ? { listener } : {}) };
}

/** An exchange as one JSON line. */
export function exchangeJson(x: Exchange): string {
  return JSON.stringify({
    command: x.command,
    reply: x.reply,
    fields: x.fields.map((f) => ({ stage: f.stage, ...f.trace })),
    waited: x.waited,
    closed: x.closed,
  });
}

/** An exchange as text: the command (when echoed), the reply, the fields, the wait, the close. */
function exchangeText(x: Exchange, echo: boolean, s: ReturnType<typeof styles>): string {
  const out: string[] = [];
  if (echo && x.command !== null) out.push(s.bold(`> ${x.command}`));
  if (x.reply) {
    const paint = x.reply.code >= 400 ? s.red : s.green;
    out.push(...x.reply.lines.map((l) => paint(l)));
  }
  for (const f of x.fields) out.push(...traceLines(f.trace, '    ').map((l) => s.dim(l)));
  if (x.waited > 0) out.push(s.dim(`    (the server waits ${x.waited} ms before this reply: waitOnFail)`));
  if (x.closed) out.push(s.dim('    (the server closes the connection)'));
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

/** Lines of stdin: a terminal gets line editing. */
function inputLines(io: Io): AsyncIterable<string> {
  const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  return createInterface({ input: io.stdin, crlfDelay: Infinity, ...(tty ? { output: io.stdout as NodeJS.WritableStream, terminal: true } : { terminal: false }) });
}

/** `mta-expr simulate`. */
export async function simulateCommand({ values, io }: CommandArgs): Promise<number> {
  const connection = connectionOf(values, 'simulate');
  const setup = await policySetup(values, io, 'simulate');
  try {
    return await simulate(setup, connection, values, io);
  } finally {
    await setup.close();
  }
}

/** Runs the session of stdin's lines on the setup. */
async function simulate(setup: PolicySetup, connection: SimulatedConnection, values: FlagValues, io: Io): Promise<number> {
  const tls = setup.tls ?? (await selfSignedCertificate(str(values.hostname) ?? 'localhost'));
  const simulator = new Simulator({ objects: () => setup.objects, users: setup.users, env: setup.env, tls });
  const json = values.json === true;
  const echo = (io.stdin as { isTTY?: boolean }).isTTY !== true;
  const s = styles(useColor(io, 'stdout'));
  const show = (x: Exchange): void => void io.stdout.write(json ? exchangeJson(x) + '\n' : exchangeText(x, echo, s));
  let opened;
  try {
    opened = await simulator.open(connection);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const { session, greeting } = opened;
  show(greeting);
  try {
    for await (const raw of inputLines(io)) {
      const line = raw.replace(/\r$/, '');
      // Outside a message, blank lines and `#` comments are the script's, not the server's.
      if (!session.inMessage && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
      if (session.closed) {
        if (!json) io.stdout.write(s.dim(`    (the connection is closed: \`${line}\` is not sent)\n`));
        break;
      }
      show(await session.send(line));
      // On a terminal the session ends with the connection; a script's remaining lines are said to be left unsent.
      if (session.closed && !echo) break;
    }
  } finally {
    session.close();
  }
  return 0;
}
