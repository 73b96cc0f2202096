/**
 * The JMAP methods of the configuration objects: `x:<Object>/get` and `x:<Object>/set` on
 * each singleton of the schema. A rejected update is a SetError in `notUpdated`; nothing of
 * it is applied. A successful update that lints with warnings is saved all the same, and
 * the answer carries them in `warnings` (by id, then by field).
 */
import { diagnosticJson, type BlockInput } from '../../language/index.js';
import { lintPatch } from '../config/lint.js';
import type { LiveConfig } from '../config/live.js';
import { isObject } from '../json.js';
import { permission } from './tokens.js';

export const SINGLETON = 'singleton';

export type MethodError = { type: string; description?: string };

/** Arguments a method cannot accept: answered as `invalidArguments`. */
export class ArgumentError extends Error {}

function checkKeys(args: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(args).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new ArgumentError(`unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}

function stringList(v: unknown, name: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ArgumentError(`${name} must be null or a list of strings`);
  return v as string[];
}

export function get(objectName: string, args: Record<string, unknown>, permissions: ReadonlySet<string>, live: LiveConfig): Record<string, unknown> | MethodError {
  checkKeys(args, ['accountId', 'ids', 'properties']);
  const ids = stringList(args.ids, 'ids');
  const properties = stringList(args.properties, 'properties');
  const fields = Object.keys(live.object(objectName).schema.fields);
  const unknown = (properties ?? []).filter((p) => p !== 'id' && !fields.includes(p));
  if (unknown.length > 0) throw new ArgumentError(`unknown propert${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`);
  const needed = permission(objectName, 'Get');
  if (!permissions.has(needed)) return { type: 'forbidden', description: `this token lacks the permission ${needed}` };
  const object = live.object(objectName);
  const state = live.state;
  const wanted = properties ?? fields;
  const record: Record<string, unknown> = { id: SINGLETON };
  for (const f of wanted) if (f !== 'id') record[f] = object.block(f);
  const list = ids === null || ids.includes(SINGLETON) ? [record] : [];
  const notFound = ids === null ? [] : [...new Set(ids.filter((id) => id !== SINGLETON))];
  return { accountId: args.accountId ?? null, state, list, notFound };
}

export async function set(objectName: string, args: Record<string, unknown>, permissions: ReadonlySet<string>, live: LiveConfig): Promise<Record<string, unknown> | MethodError> {
  checkKeys(args, ['accountId', 'ifInState', 'create', 'update', 'destroy']);
  const { ifInState, create, update, destroy } = args;
  if (ifInState !== undefined && ifInState !== null && typeof ifInState !== 'string') throw new ArgumentError('ifInState must be a string or null');
  if (create !== undefined && create !== null && !isObject(create)) throw new ArgumentError('create must be an object or null');
  if (update !== undefined && update !== null && !isObject(update)) throw new ArgumentError('update must be an object or null');
  const destroyIds = stringList(destroy, 'destroy') ?? [];
  const needed = permission(objectName, 'Update');
  if (!permissions.has(needed)) return { type: 'forbidden', description: `this token lacks the permission ${needed}` };
  let oldState = live.state;
  if (typeof ifInState === 'string' && ifInState !== oldState) return { type: 'stateMismatch', description: `the state is ${oldState}, not ${ifInState}` };
  const notCreated: Record<string, MethodError> = {};
  for (const id of Object.keys(create ?? {})) {
    notCreated[id] = { type: 'singleton', description: `${objectName} is a singleton: it cannot be created; update "singleton" instead` };
  }
  const notDestroyed: Record<string, MethodError> = {};
  for (const id of destroyIds) notDestroyed[id] = { type: 'singleton', description: `${objectName} is a singleton: it cannot be destroyed` };
  const updated: Record<string, null> = {};
  const notUpdated: Record<string, MethodError & { properties?: string[] }> = {};
  const warnings: Record<string, Record<string, Array<Record<string, unknown>>>> = {};
  let newState: string | undefined;
  for (const [id, patch] of Object.entries((update ?? {}) as Record<string, unknown>)) {
    if (id !== SINGLETON) {
      notUpdated[id] = { type: 'notFound', description: `${objectName} has only the id "singleton"` };
      continue;
    }
    if (!isObject(patch)) {
      notUpdated[id] = { type: 'invalidPatch', description: 'the patch must be an object of properties' };
      continue;
    }
    const wrongType = Object.entries(patch).filter(([, v]) => v !== null && !isObject(v)).map(([k]) => k);
    if (wrongType.length > 0) {
      notUpdated[id] = { type: 'invalidProperties', properties: wrongType, description: `an expression property is an object {"match": [...], "else": "..."} or null: ${wrongType.join(', ')}` };
      continue;
    }
    const result = await live.update(objectName, patch as Record<string, BlockInput | null>, typeof ifInState === 'string' ? ifInState : undefined);
    if (result.ok) {
      // Updates are serialised: the state this one replaced is the one to report.
      updated[id] = null;
      oldState = result.oldState;
      newState = result.newState;
      const found = lintPatch(result.object, patch as Record<string, BlockInput | null>);
      if (Object.keys(found).length > 0) warnings[id] = Object.fromEntries(Object.entries(found).map(([field, list]) => [field, list.map(diagnosticJson)]));
    } else if (result.stateMismatch) {
      return { type: 'stateMismatch', description: `the state is ${result.state}, not ${ifInState}` };
    } else {
      notUpdated[id] = { type: 'invalidProperties', properties: result.properties, description: result.description };
    }
  }
  const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length > 0 ? o : null);
  return {
    accountId: args.accountId ?? null,
    oldState,
    newState: newState ?? oldState,
    created: null,
    updated: orNull(updated),
    destroyed: null,
    notCreated: orNull(notCreated),
    notUpdated: orNull(notUpdated),
    notDestroyed: orNull(notDestroyed),
    ...(Object.keys(warnings).length > 0 ? { warnings } : {}),
  };
}
