/**
 * `history`, `diff` and `rollback`: an object's accepted changes (`x:<Object>/history`),
 * read through the API. The configuration of an object at an earlier state is the current
 * one with the changes since then undone, newest first; a rollback sends the difference as
 * a normal `/set` (validated like any other, with `ifInState`), so it is a new change with a
 * new state, kept in the history too.
 */
import type { ApiClient, SchemaObject } from '../../api/client.js';
import type { CanonicalBlock } from '../../config/object.js';
import type { HistoryEntry } from '../../config/store.js';
import { hasOwn } from '../../json.js';
import { CommandError, styles, UsageError, useColor, type CommandArgs } from '../io.js';
import { connect, currentBlocks, findObject } from './connect.js';
import { objectChanges, warningLines } from './render.js';

interface Timeline {
  client: ApiClient;
  object: SchemaObject;
  state: string;
  /** Every field's block now. */
  blocks: Record<string, CanonicalBlock>;
  entries: HistoryEntry[];
}

async function timeline(args: CommandArgs, limit?: number): Promise<Timeline> {
  const client = await connect(args.values, args.io);
  const object = findObject(await client.schema(), args.positionals[0]!);
  const [current, history] = await Promise.all([
    currentBlocks(client, [object]),
    client.call1(`x:${object.name}/history`, limit === undefined ? {} : { limit }),
  ]);
  const { state, blocks } = current.get(object.name)!;
  return { client, object, state, blocks, entries: history.list as HistoryEntry[] };
}

/** Every field's block at a past (or the current) state. */
function blocksAt(t: Timeline, state: string): Record<string, CanonicalBlock> {
  const blocks = { ...t.blocks };
  let at = t.state;
  for (let i = t.entries.length - 1; at !== state && i >= 0; i--) {
    const e = t.entries[i]!;
    for (const f of e.fields) if (hasOwn(e.old, f)) blocks[f] = (e.old[f] as CanonicalBlock | null) ?? t.object.defaults[f]!;
    at = e.oldState;
  }
  if (at !== state) {
    const known = t.entries.length === 0 ? [t.state] : [t.entries[0]!.oldState, ...t.entries.map((e) => e.newState)];
    throw new CommandError(`${t.object.name} has had no state ${state} (its states: ${known.join(', ')})`);
  }
  return blocks;
}

/** `mta-expr history OBJECT [--limit N] [--json]`. */
export async function historyCommand(args: CommandArgs): Promise<number> {
  const { values, io } = args;
  let limit: number | undefined;
  if (typeof values.limit === 'string') {
    if (!/^[1-9][0-9]{0,8}$/.test(values.limit)) throw new UsageError(`--limit must be a positive integer, not \`${values.limit}\``, 'history');
    limit = Number(values.limit);
  }
  const t = await timeline(args, limit);
  if (values.json) {
    io.stdout.write(t.entries.map((e) => JSON.stringify(e) + '\n').join(''));
    return 0;
  }
  const s = styles(useColor(io, 'stdout'));
  if (t.entries.length === 0) {
    io.stdout.write(`${t.object.name} (state ${t.state}): no changes yet\n`);
    return 0;
  }
  const lines = [`${s.bold(t.object.name)} (state ${t.state}): ${t.entries.length} change${t.entries.length === 1 ? '' : 's'}`];
  const width = Math.max(...t.entries.map((e) => `${e.oldState} → ${e.newState}`.length));
  for (const e of t.entries) lines.push(`  ${`${e.oldState} → ${e.newState}`.padEnd(width)}  ${e.time}  ${e.token}  ${e.fields.join(', ')}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** `mta-expr diff OBJECT STATE [STATE]`. */
export async function diffCommand(args: CommandArgs): Promise<number> {
  const { positionals, io } = args;
  const t = await timeline(args);
  const from = positionals[1]!;
  const to = positionals[2] ?? t.state;
  const s = styles(useColor(io, 'stdout'));
  const { lines } = objectChanges(t.object, blocksAt(t, from), blocksAt(t, to), s);
  io.stdout.write(lines.length === 0 ? `${t.object.name}: states ${from} and ${to} are the same\n` : [`${s.bold(t.object.name)} ${from} → ${to}:`, ...lines].join('\n') + '\n');
  return 0;
}

/** `mta-expr rollback OBJECT --to STATE [--dry-run]`. */
export async function rollbackCommand(args: CommandArgs): Promise<number> {
  const { values, io } = args;
  if (typeof values.to !== 'string') throw new UsageError('rollback needs --to STATE (see `mta-expr history OBJECT`)', 'rollback');
  const t = await timeline(args);
  const s = styles(useColor(io, 'stdout'));
  const { lines, patch } = objectChanges(t.object, t.blocks, blocksAt(t, values.to), s);
  if (lines.length === 0) {
    io.stdout.write(`${t.object.name} (state ${t.state}) is already as it was in state ${values.to}: nothing to do\n`);
    return 0;
  }
  io.stdout.write([`${s.bold(t.object.name)} (state ${t.state}) back to state ${values.to}:`, ...lines].join('\n') + '\n');
  if (values['dry-run']) {
    io.stdout.write('dry run: nothing changed\n');
    return 0;
  }
  const r = await t.client.call1(`x:${t.object.name}/set`, { ifInState: t.state, update: { singleton: patch } });
  const rejected = (r.notUpdated as Record<string, { type: string; description?: string }> | null)?.singleton;
  if (rejected) throw new CommandError(`${t.object.name} not rolled back: ${rejected.type}: ${rejected.description ?? ''}`);
  io.stdout.write(`rolled back ${t.object.name} to the configuration of state ${values.to} (state ${String(r.oldState)} → ${String(r.newState)})\n`);
  io.stdout.write(warningLines(r, 'singleton'));
  return 0;
}
