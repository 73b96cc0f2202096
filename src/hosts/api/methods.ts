/**
 * The JMAP methods of the configuration objects, on each singleton of the schema:
 * `x:<Object>/get` (RFC 8620 §5.1), `x:<Object>/set` (§5.3, with patch paths),
 * `x:<Object>/changes` (§5.2, from the state history) and `x:<Object>/history` (the accepted
 * changes: who changed what, when, from which block to which). A rejected update is a
 * SetError in `notUpdated`; nothing of it is applied. An update that lints with warnings is
 * applied all the same, and the answer carries them in `warnings` (by id, then by field).
 * Maps keyed by client ids have no prototype, so every id is reported, `__proto__` included.
 */
import type { BlockInput } from '../../language/index.js';
import type { ConfigTransaction, ConfigView } from '../config/live.js';
import { hasOwn, isObject } from '../json.js';
import { groupPatch, patchBlock, PatchError } from './patch.js';
import { ACCOUNT_ID, type ApiLimits } from './session.js';
import { permission, type Caller } from './tokens.js';

export const SINGLETON = 'singleton';

export type MethodError = { type: string; description?: string };

/** Arguments a method cannot accept: answered as `invalidArguments`. */
export class ArgumentError extends Error {}

/** What a method runs with. */
export interface MethodContext {
  /** The configuration as this request sees it. */
  view: ConfigView;
  caller: Caller;
  limits: ApiLimits;
  /** The request's creation ids (`#id` in ids refers to them). */
  createdIds: Record<string, string>;
  /** Runs a change of the configuration: in a transaction of its own, or in the request's. */
  change<T>(fn: (tx: ConfigTransaction) => T): Promise<T>;
}

type Result = Record<string, unknown> | MethodError;

const idMap = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length > 0 ? o : null);

function checkKeys(args: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(args).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new ArgumentError(`unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}

function stringList(v: unknown, name: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ArgumentError(`${name} must be null or a list of strings`);
  return v as string[];
}

/** The account of a call: absent is the primary account; another id is `accountNotFound`. */
function account(args: Record<string, unknown>): MethodError | null {
  if (!hasOwn(args, 'accountId')) return null;
  if (typeof args.accountId !== 'string') throw new ArgumentError('accountId must be a string (the account id of the session)');
  return args.accountId === ACCOUNT_ID ? null : { type: 'accountNotFound', description: `no account ${JSON.stringify(args.accountId)}; the configuration is in the account "${ACCOUNT_ID}"` };
}

function allowed(caller: Caller, objectName: string, action: 'Get' | 'Update'): MethodError | null {
  const needed = permission(objectName, action);
  return caller.permissions.has(needed) ? null : { type: 'forbidden', description: `this token lacks the permission ${needed}` };
}

/** An id, with a creation-id reference (`#c1`) replaced by the id it was created with (or kept when unknown). */
const resolveId = (id: string, ctx: MethodContext): string => (id.startsWith('#') && hasOwn(ctx.createdIds, id.slice(1)) ? ctx.createdIds[id.slice(1)]! : id);

function positiveInteger(v: unknown, name: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`${name} must be null or a positive integer`);
  return v;
}

export function get(objectName: string, args: Record<string, unknown>, ctx: MethodContext): Result {
  checkKeys(args, ['accountId', 'ids', 'properties']);
  const ids = stringList(args.ids, 'ids');
  const properties = stringList(args.properties, 'properties');
  const fields = Object.keys(ctx.view.object(objectName).schema.fields);
  const unknown = (properties ?? []).filter((p) => p !== 'id' && !fields.includes(p));
  if (unknown.length > 0) throw new ArgumentError(`unknown propert${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`);
  const refused = account(args) ?? allowed(ctx.caller, objectName, 'Get');
  if (refused) return refused;
  if (ids !== null && ids.length > ctx.limits.maxObjectsInGet) {
    return { type: 'requestTooLarge', description: `${ids.length} ids; the limit is maxObjectsInGet = ${ctx.limits.maxObjectsInGet}` };
  }
  const object = ctx.view.object(objectName);
  const record: Record<string, unknown> = { id: SINGLETON };
  for (const f of properties ?? fields) if (f !== 'id') record[f] = object.block(f);
  const found = ids === null || ids.some((id) => resolveId(id, ctx) === SINGLETON);
  const notFound = ids === null ? [] : [...new Set(ids.filter((id) => resolveId(id, ctx) !== SINGLETON))];
  return { accountId: ACCOUNT_ID, state: ctx.view.stateOf(objectName), list: found ? [record] : [], notFound };
}

/** The field patch of one `update` entry: whole blocks, and blocks patched at their paths. */
function fieldPatch(objectName: string, patch: Record<string, unknown>, tx: ConfigTransaction): Record<string, BlockInput | null> {
  const object = tx.object(objectName);
  const out: Record<string, BlockInput | null> = {};
  const unknown: string[] = [];
  for (const [field, g] of groupPatch(patch)) {
    if (field === 'id') {
      if (g.whole && g.value === SINGLETON) continue;
      throw new PatchError('invalidProperties', 'id is set by the server', ['id']);
    }
    if (!hasOwn(object.schema.fields, field)) {
      unknown.push(field);
      continue;
    }
    if (g.whole) {
      if (g.value !== null && !isObject(g.value)) {
        throw new PatchError('invalidProperties', `an expression property is an object {"match": [...], "else": "..."} or null: ${field}`, [field]);
      }
      out[field] = g.value as BlockInput | null;
    } else out[field] = patchBlock(field, object.block(field), g.paths);
  }
  if (unknown.length > 0) throw new PatchError('invalidProperties', `unknown propert${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`, unknown);
  return out;
}

export async function set(objectName: string, args: Record<string, unknown>, ctx: MethodContext): Promise<Result> {
  checkKeys(args, ['accountId', 'ifInState', 'create', 'update', 'destroy']);
  const { ifInState, create, update, destroy } = args;
  if (ifInState !== undefined && ifInState !== null && typeof ifInState !== 'string') throw new ArgumentError('ifInState must be a string or null');
  if (create !== undefined && create !== null && !isObject(create)) throw new ArgumentError('create must be an object or null');
  if (update !== undefined && update !== null && !isObject(update)) throw new ArgumentError('update must be an object or null');
  const destroyIds = stringList(destroy, 'destroy') ?? [];
  const refused = account(args) ?? allowed(ctx.caller, objectName, 'Update');
  if (refused) return refused;
  const count = Object.keys(create ?? {}).length + Object.keys(update ?? {}).length + destroyIds.length;
  if (count > ctx.limits.maxObjectsInSet) return { type: 'requestTooLarge', description: `${count} objects; the limit is maxObjectsInSet = ${ctx.limits.maxObjectsInSet}` };
  const expected = typeof ifInState === 'string' ? ifInState : undefined;
  return ctx.change(async (tx): Promise<Result> => {
    const oldState = tx.stateOf(objectName);
    if (expected !== undefined && expected !== oldState) return { type: 'stateMismatch', description: `the state of ${objectName} is ${oldState}, not ${expected}` };
    const notCreated = idMap<MethodError>();
    for (const id of Object.keys(create ?? {})) {
      notCreated[id] = { type: 'singleton', description: `${objectName} is a singleton: it cannot be created; update "${SINGLETON}" instead` };
    }
    const notDestroyed = idMap<MethodError>();
    for (const id of destroyIds) {
      notDestroyed[id] = resolveId(id, ctx) === SINGLETON ? { type: 'singleton', description: `${objectName} is a singleton: it cannot be destroyed` } : { type: 'notFound', description: `${objectName} has only the id "${SINGLETON}"` };
    }
    const updated = idMap<null>();
    const notUpdated = idMap<MethodError & { properties?: string[] }>();
    const warnings = idMap<Record<string, Array<Record<string, unknown>>>>();
    for (const [id, patch] of Object.entries((update ?? {}) as Record<string, unknown>)) {
      if (resolveId(id, ctx) !== SINGLETON) {
        notUpdated[id] = { type: 'notFound', description: `${objectName} has only the id "${SINGLETON}"` };
        continue;
      }
      if (!isObject(patch)) {
        notUpdated[id] = { type: 'invalidPatch', description: 'the patch must be an object of properties' };
        continue;
      }
      let fields: Record<string, BlockInput | null>;
      try {
        fields = fieldPatch(objectName, patch, tx);
      } catch (e) {
        if (!(e instanceof PatchError)) throw e;
        notUpdated[id] = e.properties ? { type: e.type, properties: e.properties, description: e.message } : { type: e.type, description: e.message };
        continue;
      }
      // Compiled and linted in the compile worker: a large block does not hold the event loop.
      const { result, warnings: found } = await tx.updateOffThread(objectName, fields);
      if (result.ok) {
        updated[id] = null;
        if (Object.keys(found).length > 0) warnings[id] = found;
      } else if (!result.stateMismatch) notUpdated[id] = { type: 'invalidProperties', properties: result.properties, description: result.description };
    }
    return {
      accountId: ACCOUNT_ID,
      oldState,
      newState: tx.stateOf(objectName),
      created: null,
      updated: orNull(updated),
      destroyed: null,
      notCreated: orNull(notCreated),
      notUpdated: orNull(notUpdated),
      notDestroyed: orNull(notDestroyed),
      ...(Object.keys(warnings).length > 0 ? { warnings } : {}),
    };
  });
}

/** The states an object has had, oldest first (the current one last). */
async function pastStates(objectName: string, view: ConfigView): Promise<string[]> {
  const history = await view.history(objectName);
  return history.length === 0 ? [view.stateOf(objectName)] : [history[0]!.oldState, ...history.map((e) => e.newState)];
}

export async function changes(objectName: string, args: Record<string, unknown>, ctx: MethodContext): Promise<Result> {
  checkKeys(args, ['accountId', 'sinceState', 'maxChanges']);
  if (typeof args.sinceState !== 'string') throw new ArgumentError('sinceState must be a state string');
  positiveInteger(args.maxChanges, 'maxChanges');
  const refused = account(args) ?? allowed(ctx.caller, objectName, 'Get');
  if (refused) return refused;
  const states = await pastStates(objectName, ctx.view);
  const since = states.lastIndexOf(args.sinceState);
  if (since < 0) return { type: 'cannotCalculateChanges', description: `${args.sinceState} is not a state ${objectName} has had` };
  const newState = ctx.view.stateOf(objectName);
  return { accountId: ACCOUNT_ID, oldState: args.sinceState, newState, hasMoreChanges: false, created: [], updated: args.sinceState === newState ? [] : [SINGLETON], destroyed: [] };
}

export async function history(objectName: string, args: Record<string, unknown>, ctx: MethodContext): Promise<Result> {
  checkKeys(args, ['accountId', 'limit']);
  const limit = positiveInteger(args.limit, 'limit');
  const refused = account(args) ?? allowed(ctx.caller, objectName, 'Get');
  if (refused) return refused;
  const entries = await ctx.view.history(objectName);
  return { accountId: ACCOUNT_ID, state: ctx.view.stateOf(objectName), list: limit === null ? entries : entries.slice(-limit) };
}
