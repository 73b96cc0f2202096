/**
 * Configuration as code: `snapshot` prints every object's non-default fields (the same shape
 * as the objects of the server configuration file), `apply` makes the server say what a
 * snapshot file says. An object of the file is the whole object: a field the file does not
 * give is its default; an object the file does not name is left alone. `apply` shows each
 * change as a diff of the blocks, then sends every change in one atomic request with
 * `ifInState`, so all of it applies or none does.
 *
 * Exit codes: 0 applied, or nothing to do; 1 rejected (or a file that is not valid);
 * 3 with `--dry-run --exit-code`, something would change.
 */
import { compile, CompileError } from '../../../language/index.js';
import { result, type SchemaObject } from '../../api/client.js';
import { canonicalBlock, type CanonicalBlock } from '../../config/object.js';
import { hasOwn, isObject, parseJsonStrict } from '../../json.js';
import { CommandError, readText, styles, useColor, type CommandArgs } from '../io.js';
import { connect, currentBlocks, findObject } from './connect.js';
import { objectChanges, sameBlock, warningLines } from './render.js';

/** Exit code of `apply --dry-run --exit-code` when the server differs from the file. */
export const DRIFT_EXIT = 3;

/** The non-default fields of each object, in schema order. */
function overrides(object: SchemaObject, blocks: Record<string, CanonicalBlock>): Record<string, CanonicalBlock> {
  return Object.fromEntries(Object.entries(blocks).filter(([f, b]) => !(hasOwn(object.defaults, f) && sameBlock(b, object.defaults[f]!))));
}

/** `mta-expr snapshot [OBJECT…]`. */
export async function snapshotCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const client = await connect(values, io);
  const schema = await client.schema();
  const objects = positionals.length === 0 ? schema : [...new Set(positionals.map((p) => findObject(schema, p)))];
  const current = await currentBlocks(client, objects);
  const snapshot = Object.fromEntries(objects.map((o) => [o.name, overrides(o, current.get(o.name)!.blocks)]));
  io.stdout.write(JSON.stringify(snapshot, null, 2) + '\n');
  return 0;
}

/** A file's desired objects: each field's block in wire form (the default where the file gives none). */
function desiredObjects(file: string, schema: readonly SchemaObject[]): Map<SchemaObject, Record<string, CanonicalBlock>> {
  const text = readText(file);
  let json: unknown;
  try {
    json = parseJsonStrict(text, file);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  if (!isObject(json)) throw new CommandError(`${file}: a configuration is a JSON object of objects, such as {"MtaStageAuth": {"maxFailures": {"match": [], "else": "5"}}}`);
  const out = new Map<SchemaObject, Record<string, CanonicalBlock>>();
  for (const [name, fields] of Object.entries(json)) {
    const object = findObject(schema, name);
    if (out.has(object)) throw new CommandError(`${file}: ${object.name} is given twice`);
    if (!isObject(fields)) throw new CommandError(`${file}: ${name} must be an object of fields and their blocks`);
    const desired: Record<string, CanonicalBlock> = { ...object.defaults };
    for (const [field, block] of Object.entries(fields)) {
      if (!hasOwn(object.fields, field)) throw new CommandError(`${file}: ${object.name} has no field ${field} (its fields: ${Object.keys(object.fields).join(', ')})`);
      try {
        desired[field] = canonicalBlock(block as CanonicalBlock);
      } catch (e) {
        if (e instanceof CompileError) throw new CommandError(`${file}: ${object.name}.${field}: ${e.message}`);
        throw e;
      }
    }
    out.set(object, desired);
  }
  return out;
}

/** Compiles a field's block in its context as the schema resource describes it; the error, or null. */
function compileError(object: SchemaObject, field: string, block: CanonicalBlock): string | null {
  const x = object.fields[field]!.expression;
  if (!x) return null;
  try {
    compile(block, { variables: x.variables, constants: x.constants });
    return null;
  } catch (e) {
    if (e instanceof CompileError) return `${object.name}.${field}: ${e.render()}`;
    throw e;
  }
}

interface ObjectPlan {
  object: SchemaObject;
  state: string;
  patch: Record<string, CanonicalBlock | null>;
  lines: string[];
}

/** `mta-expr apply FILE [--dry-run [--exit-code]]`. */
export async function applyCommand({ values, positionals, io }: CommandArgs): Promise<number> {
  const file = positionals[0]!;
  const client = await connect(values, io);
  const schema = await client.schema();
  const desired = desiredObjects(file, schema);
  const current = await currentBlocks(client, [...desired.keys()]);
  const s = styles(useColor(io, 'stdout'));
  const plans = [...desired]
    .map(([object, blocks]): ObjectPlan => ({ object, state: current.get(object.name)!.state, ...objectChanges(object, current.get(object.name)!.blocks, blocks, s) }))
    .filter((p) => p.lines.length > 0);
  if (plans.length === 0) {
    io.stdout.write(`nothing to do: the server already matches ${file}\n`);
    return 0;
  }
  for (const p of plans) io.stdout.write([`${s.bold(p.object.name)} (state ${p.state}):`, ...p.lines].join('\n') + '\n');
  const fields = plans.reduce((n, p) => n + Object.keys(p.patch).length, 0);
  const summary = `${fields} field${fields === 1 ? '' : 's'} in ${plans.length} object${plans.length === 1 ? '' : 's'}`;
  const errors = plans.flatMap((p) => Object.entries(p.patch).flatMap(([f, b]) => (b === null ? [] : (compileError(p.object, f, b) ?? [])))).filter((e) => e !== null);
  if (errors.length > 0) {
    io.stderr.write(errors.join('\n') + '\n');
    throw new CommandError(`${file} is not valid: ${errors.length} field${errors.length === 1 ? '' : 's'} do${errors.length === 1 ? 'es' : ''} not compile; nothing applied`);
  }
  if (values['dry-run']) {
    io.stdout.write(`would change ${summary} (dry run: nothing applied)\n`);
    return values['exit-code'] ? DRIFT_EXIT : 0;
  }
  const responses = await client.call(
    plans.map((p, i) => [`x:${p.object.name}/set`, { accountId: client.accountId, ifInState: p.state, update: { singleton: p.patch } }, `s${i}`]),
    { atomic: true },
  );
  const failures = plans.flatMap((p, i) => {
    const response = responses.find((r) => r[2] === `s${i}`);
    if (!response) return [`${p.object.name}: no answer`];
    if (response[0] === 'error') {
      const e = response[1] as { type?: string; description?: string };
      return e.type === 'rolledBack' ? [] : [`${p.object.name}: ${String(e.type)}: ${e.description ?? ''}`];
    }
    const rejected = (response[1].notUpdated as Record<string, { type: string; description?: string }> | null)?.singleton;
    return rejected ? [`${p.object.name}: ${rejected.type}: ${rejected.description ?? ''}`] : [];
  });
  if (failures.length > 0) {
    io.stderr.write(failures.join('\n') + '\n');
    throw new CommandError(`the server rejected ${file}; nothing applied`);
  }
  const results = plans.map((_, i) => result(responses.find((x) => x[2] === `s${i}`)!));
  const states = plans.map((p, i) => `${p.object.name} ${String(results[i]!.oldState)} → ${String(results[i]!.newState)}`);
  io.stdout.write(`applied ${summary} (${states.join(', ')})\n`);
  plans.forEach((p, i) => io.stdout.write(warningLines(results[i]!, 'singleton', `${p.object.name}.`)));
  return 0;
}
