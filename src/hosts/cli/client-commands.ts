/** The management API's client: `get OBJECT` and `update OBJECT --field NAME=BLOCK`. */
import type { BlockInput } from '../../language/index.js';
import { ApiError, JmapClient, type JmapClientOptions } from '../api/client.js';
import { CommandError, UsageError, type CommandArgs, type FlagValues, type Io } from './io.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The client of `--url` and `--token` (or their environment variables). */
export function apiClient(values: FlagValues, io: Io, options?: JmapClientOptions): JmapClient {
  const token = str(values.token) ?? io.env.MTA_EXPR_TOKEN ?? io.env.MTA_EXPR_ADMIN_TOKEN;
  if (!token) throw new UsageError('no token: give --token TOKEN or set MTA_EXPR_TOKEN');
  return new JmapClient(str(values.url) ?? io.env.MTA_EXPR_URL ?? 'http://127.0.0.1:8080', token, options);
}

/** One method call; a transport, HTTP or method failure is a CommandError (one line, exit 1). */
async function call(values: FlagValues, io: Io, method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const client = apiClient(values, io);
  try {
    return await client.call(method, args);
  } catch (e) {
    if (e instanceof ApiError) throw new CommandError(e.message);
    throw e;
  }
}

function objectName(positionals: string[], command: string): string {
  const object = positionals[0]!;
  if (!/^[A-Za-z]+$/.test(object)) throw new UsageError(`\`${object}\` is not an object name (such as MtaStageAuth)`, command);
  return object;
}

/** `mta-expr get OBJECT`. */
export async function getCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const object = objectName(positionals, 'get');
  const result = await call(values, io, `x:${object}/get`, { ids: ['singleton'] });
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
  const result = await call(values, io, `x:${object}/set`, { update: { singleton: patch } });
  const rejected = (result.notUpdated as Record<string, { type: string; properties?: string[]; description?: string }> | null)?.singleton;
  if (rejected) {
    io.stderr.write(`rejected (${rejected.type}${rejected.properties ? `: ${rejected.properties.join(', ')}` : ''}):\n${rejected.description ?? ''}\n`);
    return 1;
  }
  io.stdout.write(`updated ${object}: ${Object.keys(patch).join(', ')} (state ${String(result.oldState)} → ${String(result.newState)})\n`);
  return 0;
}
