/** The management API's client: `get OBJECT` and `update OBJECT --field NAME=BLOCK`. */
import type { BlockInput } from '../../language/index.js';
import { CORE, STALWART } from '../api/jmap.js';
import { CommandError, UsageError, type CommandArgs, type FlagValues, type Io } from './io.js';
import { renderFix } from '../../language/index.js';

interface JmapResponse {
  methodResponses?: Array<[string, Record<string, unknown>, string]>;
  detail?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One method call; a transport or HTTP failure is a CommandError (one line, exit 1). */
async function call(values: FlagValues, io: Io, method: string, args: Record<string, unknown>): Promise<[string, Record<string, unknown>]> {
  const base = (str(values.url) ?? io.env.MTA_EXPR_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const url = base.endsWith('/api') ? base : base + '/api';
  const token = str(values.token) ?? io.env.MTA_EXPR_TOKEN ?? io.env.MTA_EXPR_ADMIN_TOKEN;
  if (!token) throw new UsageError('no token: give --token TOKEN or set MTA_EXPR_TOKEN');
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ using: [CORE, STALWART], methodCalls: [[method, args, 'c1']] }),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CommandError(`cannot reach ${url}: ${cause?.code === 'ECONNREFUSED' ? 'connection refused (is `mta-expr serve` running there?)' : (cause?.message ?? (e as Error).message)}`);
  }
  const body = (await res.json().catch(() => ({}))) as JmapResponse;
  if (res.status === 401) throw new CommandError(`${url}: 401 Unauthorized: ${body.detail ?? 'the token was refused'}`);
  if (res.status !== 200) throw new CommandError(`${url}: ${res.status} ${res.statusText}${body.detail ? `: ${body.detail}` : ''}`);
  const first = body.methodResponses?.[0];
  if (!first) throw new CommandError(`${url}: the server gave no method response`);
  if (first[0] === 'error') {
    const { type, description } = first[1] as { type?: string; description?: string };
    if (type === 'unknownMethod') throw new CommandError(`the server has no object ${method.slice(2, method.indexOf('/'))} (${description ?? type})`);
    throw new CommandError(`${String(type)}${description ? `: ${description}` : ''}`);
  }
  return [first[0], first[1]];
}

function objectName(positionals: string[], command: string): string {
  const object = positionals[0]!;
  if (!/^[A-Za-z]+$/.test(object)) throw new UsageError(`\`${object}\` is not an object name (such as MtaStageAuth)`, command);
  return object;
}

/** `mta-expr get OBJECT`. */
export async function getCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const object = objectName(positionals, 'get');
  const [, result] = await call(values, io, `x:${object}/get`, { ids: ['singleton'] });
  const record = (result.list as Array<Record<string, unknown>>)[0] ?? {};
  const lines = [`${object} (state ${String(result.state)})`];
  for (const [field, block] of Object.entries(record)) if (field !== 'id') lines.push(`  ${field}: ${JSON.stringify(block)}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** `mta-expr update OBJECT --field NAME=BLOCK …`. */
export async function updateCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const object = objectName(positionals, 'update');
  const fields = (values.field as string[] | undefined) ?? [];
  if (fields.length === 0) throw new UsageError('update needs at least one --field NAME=BLOCK', 'update');
  const patch: Record<string, BlockInput | null> = {};
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--field ${f}: expected NAME=BLOCK`, 'update');
    const name = f.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(patch, name)) throw new UsageError(`--field ${name} is given twice`, 'update');
    try {
      patch[name] = JSON.parse(f.slice(eq + 1)) as BlockInput | null;
    } catch (e) {
      throw new UsageError(`--field ${name}: the block is not JSON: ${(e as Error).message}`, 'update');
    }
  }
  const [, result] = await call(values, io, `x:${object}/set`, { update: { singleton: patch } });
  const rejected = (result.notUpdated as Record<string, { type: string; properties?: string[]; description?: string }> | null)?.singleton;
  if (rejected) {
    io.stderr.write(`rejected (${rejected.type}${rejected.properties ? `: ${rejected.properties.join(', ')}` : ''}):\n${rejected.description ?? ''}\n`);
    return 1;
  }
  io.stdout.write(`updated ${object}: ${Object.keys(patch).join(', ')} (state ${String(result.oldState)} → ${String(result.newState)})\n`);
  const warnings = (result.warnings as Record<string, Record<string, WarningJson[]>> | undefined)?.singleton ?? {};
  for (const [field, list] of Object.entries(warnings)) for (const w of list) io.stdout.write(`\n${field}: ${renderWarning(w)}\n`);
  return 0;
}

/** A lint warning as the API sends it (`diagnosticJson`). */
interface WarningJson {
  code: string;
  severity: string;
  message: string;
  line: number;
  snippet: string;
  fix?: { replacement: string; description: string };
}

/** A warning of a `/set` answer, printed as the `lint` command prints it. */
function renderWarning(w: WarningJson): string {
  return `${w.severity}[${w.code}]: ${w.message}\n${w.snippet}${w.fix ? `\n${renderFix(w.line, w.fix)}` : ''}`;
}
