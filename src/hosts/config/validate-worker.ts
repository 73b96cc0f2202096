/** The compile worker (validate.ts): compiles and lints an object as a change would leave it, off the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import type { BlockInput } from '../../language/index.js';
import type { Schema } from './schema.js';
import { validateObject } from './validate.js';

const { schema } = workerData as { schema: Schema };

parentPort!.on('message', (m: { id: number; name: string; overrides: Record<string, BlockInput>; fields: string[] }) => {
  try {
    parentPort!.postMessage({ id: m.id, verdict: validateObject(m.name, m.overrides, m.fields, schema) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
