/**
 * How the client commands reach the server and name what is on it: the endpoint of
 * `--url`, `--token` and `--insecure` (or their environment variables), and objects and
 * fields named in any case, with or without `x:`.
 */
import { ApiClient, apiOrigin, type ApiEndpoint, type SchemaObject } from '../../api/client.js';
import type { CanonicalBlock } from '../../config/object.js';
import { hasOwn, str } from '../../json.js';
import { CommandError, UsageError, type FlagValues, type Io } from '../io.js';

/** The endpoint the flags (or `$MTA_EXPR_URL`, `$MTA_EXPR_TOKEN`, `$MTA_EXPR_ADMIN_TOKEN`) name; a bad one is a usage error of `command`. */
export function endpointOf(values: FlagValues, io: Io, command?: string): ApiEndpoint {
  const url = str(values.url) ?? io.env.MTA_EXPR_URL ?? 'http://127.0.0.1:8080';
  if (apiOrigin(url) === null) throw new UsageError(`--url ${url}: not an http:// or https:// URL (such as http://127.0.0.1:8080)`, command);
  const token = str(values.token) ?? io.env.MTA_EXPR_TOKEN ?? io.env.MTA_EXPR_ADMIN_TOKEN;
  if (!token) throw new UsageError('no token: give --token TOKEN or set MTA_EXPR_TOKEN', command);
  return { url, token, insecure: values.insecure === true };
}

/** The client of the flags, its session read. */
export function connect(values: FlagValues, io: Io): Promise<ApiClient> {
  return ApiClient.connect(endpointOf(values, io));
}

/** The object of a name given in any case, with or without `x:`; unknown is a CommandError. */
export function findObject(objects: readonly SchemaObject[], given: string): SchemaObject {
  const name = given.replace(/^x:/i, '');
  const found = objects.find((o) => o.name.toLowerCase() === name.toLowerCase());
  if (!found) throw new CommandError(`unknown object ${given} (the server has ${objects.map((o) => o.name).join(', ')})`);
  return found;
}

/** The id of a singleton: none or `singleton`; another is a CommandError. */
export function singletonId(object: SchemaObject, id: string | undefined): string {
  if (id !== undefined && id !== 'singleton') throw new CommandError(`${object.name} is a singleton: its only id is "singleton", not ${JSON.stringify(id)}`);
  return 'singleton';
}

/** The field of a name given in any case; unknown is a CommandError. */
export function findField(object: SchemaObject, given: string): string {
  const found = Object.keys(object.fields).find((f) => f.toLowerCase() === given.toLowerCase());
  if (found === undefined) throw new CommandError(`${object.name} has no field ${given} (its fields: ${Object.keys(object.fields).join(', ')})`);
  return found;
}

/** The state and every field's block of objects now, in one request. */
export async function currentBlocks(client: ApiClient, objects: readonly SchemaObject[]): Promise<Map<string, { state: string; blocks: Record<string, CanonicalBlock> }>> {
  const read = await client.readObjects(objects.map((o) => o.name));
  return new Map(
    objects.map((o) => {
      const { state, record } = read.get(o.name)!;
      const blocks = Object.fromEntries(Object.keys(o.fields).filter((f) => hasOwn(record, f)).map((f) => [f, record[f] as CanonicalBlock]));
      return [o.name, { state, blocks }];
    }),
  );
}
