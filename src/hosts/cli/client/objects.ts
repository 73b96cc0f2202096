/**
 * `get`, `update` and `describe`: one object through the management API. Object and field
 * names are matched in any case, with or without `x:`.
 */
import type { ApiClient, SchemaObject } from '../../api/client.js';
import type { CanonicalBlock } from '../../config/object.js';
import { hasOwn, isObject, parseJsonStrict } from '../../json.js';
import { CommandError, readText, styles, UsageError, useColor, type CommandArgs, type Io } from '../io.js';
import { connect, findField, findObject, singletonId } from './connect.js';
import { blockLines, sameBlock, warningLines } from './render.js';

/** Connects, and finds the object named by the first word. */
export async function objectTarget(args: CommandArgs): Promise<{ client: ApiClient; object: SchemaObject; id: string }> {
  const client = await connect(args.values, args.io);
  const object = findObject(await client.schema(), args.positionals[0]!);
  return { client, object, id: singletonId(object, args.positionals[1]) };
}

/** `mta-expr get OBJECT [singleton] [--fields a,b] [--json]`. */
export async function getCommand(args: CommandArgs): Promise<number> {
  const { values, io } = args;
  const { client, object, id } = await objectTarget(args);
  const properties =
    typeof values.fields === 'string'
      ? values.fields
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
          .map((f) => (f.toLowerCase() === 'id' ? 'id' : findField(object, f)))
      : null;
  const result = await client.call1(`x:${object.name}/get`, { ids: [id], properties });
  const record = (result.list as Array<Record<string, unknown>> | undefined)?.[0];
  if (record === undefined) throw new CommandError(`${object.name} ${id} not found`);
  if (values.json) {
    io.stdout.write(JSON.stringify(record) + '\n');
    return 0;
  }
  const s = styles(useColor(io, 'stdout'));
  const fields = Object.keys(object.fields).filter((f) => hasOwn(record, f));
  const width = Math.max(0, ...fields.map((f) => f.length));
  const lines = [`${s.bold(object.name)} (state ${String(result.state)})`];
  for (const field of fields) {
    const block = record[field] as CanonicalBlock;
    const isDefault = hasOwn(object.defaults, field) && sameBlock(block, object.defaults[field]!);
    blockLines(block).forEach((line, i) => {
      const label = i === 0 ? field.padEnd(width) : ' '.repeat(width);
      lines.push(`  ${label}  ${line}${i === 0 && isDefault ? `  ${s.dim('(default)')}` : ''}`);
    });
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A patch object given as JSON text (`--json`, `--file`, `--stdin`): an object, no key twice. */
function patchJson(text: string, what: string): Record<string, unknown> {
  let patch: unknown;
  try {
    patch = parseJsonStrict(text, what);
  } catch (e) {
    throw new UsageError((e as Error).message, 'update');
  }
  if (!isObject(patch)) throw new UsageError(`${what} must be a JSON object of fields (or field paths) and their values`, 'update');
  return patch;
}

/**
 * The patch of `--field` words: `NAME=BLOCK` (JSON, or null for the default) or
 * `NAME/PATH=VALUE` (the value as written, an expression; null removes). The field name
 * is matched in any case; a key given twice is an error.
 */
function fieldPatch(object: SchemaObject, words: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new UsageError(`--field ${word}: expected NAME=BLOCK or NAME/PATH=VALUE`, 'update');
    const [head, ...path] = word.slice(0, eq).split('/');
    const key = [findField(object, head!), ...path].join('/');
    if (hasOwn(patch, key)) throw new UsageError(`--field ${key} is given twice`, 'update');
    const text = word.slice(eq + 1);
    if (path.length > 0) {
      patch[key] = text === 'null' ? null : text;
      continue;
    }
    const hint = `a block is a JSON object such as {"match": [], "else": "5"}, or null; for one value inside it, use ${key}/else=${text}`;
    let block: unknown;
    try {
      block = parseJsonStrict(text, `--field ${key}`);
    } catch (e) {
      throw new UsageError(`${(e as Error).message} (${hint})`, 'update');
    }
    if (block !== null && !isObject(block)) throw new UsageError(`--field ${key}: ${hint}`, 'update');
    patch[key] = block;
  }
  return patch;
}

/** `mta-expr update OBJECT [singleton] --field … | --json PATCH | --file FILE | --stdin [--if-in-state S]`. */
export async function updateCommand(args: CommandArgs): Promise<number> {
  const { values, io } = args;
  const fields = (values.field as string[] | undefined) ?? [];
  const sources = [fields.length > 0, values.json !== undefined, values.file !== undefined, values.stdin === true].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of --field (repeatable), --json PATCH, --file FILE or --stdin', 'update');
  const { client, object, id } = await objectTarget(args);
  const patch =
    fields.length > 0
      ? fieldPatch(object, fields)
      : typeof values.json === 'string'
        ? patchJson(values.json, '--json')
        : typeof values.file === 'string'
          ? patchJson(readText(values.file), values.file)
          : patchJson(await readStdin(io), 'stdin');
  if (Object.keys(patch).length === 0) throw new UsageError('the patch is empty: nothing to update', 'update');
  const ifInState = typeof values['if-in-state'] === 'string' ? { ifInState: values['if-in-state'] } : {};
  const result = await client.call1(`x:${object.name}/set`, { ...ifInState, update: { [id]: patch } });
  const rejected = (result.notUpdated as Record<string, { type: string; properties?: string[]; description?: string }> | null)?.[id];
  if (rejected) {
    const error = styles(useColor(io, 'stderr')).red('error');
    io.stderr.write(`${error}: ${object.name} not updated: ${rejected.type}${rejected.properties ? ` (${rejected.properties.join(', ')})` : ''}\n${rejected.description ?? ''}\n`);
    return 1;
  }
  const keys = Object.keys(patch).join(', ');
  if (result.oldState === result.newState) io.stdout.write(`${object.name} unchanged: ${keys} already so (state ${String(result.newState)})\n`);
  else io.stdout.write(`updated ${object.name}: ${keys} (state ${String(result.oldState)} → ${String(result.newState)})\n`);
  io.stdout.write(warningLines(result, id));
  return 0;
}

/** `mta-expr describe OBJECT`. */
export async function describeCommand(args: CommandArgs): Promise<number> {
  const { io } = args;
  const client = await connect(args.values, io);
  const object = findObject(await client.schema(), args.positionals[0]!);
  const s = styles(useColor(io, 'stdout'));
  const lines = [`${s.bold(object.name)}${object.singleton ? ' (singleton)' : ''}: ${object.description}`];
  if (object.location) lines.push(`  ${object.location}`);
  for (const [field, f] of Object.entries(object.fields)) {
    const x = f.expression;
    lines.push('', `${s.bold(field)}  ${x ? `${x.type} expression` : 'field'}`, `  ${f.description}`);
    const def = object.defaults[field];
    if (def) blockLines(def).forEach((line, i) => lines.push(`  ${i === 0 ? 'default   ' : '          '}${line}`));
    if (x) {
      const variables = x.variableNames === null ? 'every variable' : x.variableNames.length === 0 ? 'none' : x.variableNames.join(', ');
      lines.push(`  variables ${x.variables ? `(${x.variables}) ` : ''}${variables}`);
      lines.push(`  constants ${x.constants ? `(${x.constants}) ` : ''}${x.constantNames.length === 0 ? 'none' : x.constantNames.join(', ')}`);
    }
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
