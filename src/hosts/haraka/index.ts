/**
 * mta-expr/haraka: the Haraka plugin. Haraka loads it through `haraka/package.json` at the
 * root of this package (list `mta-expr/haraka` in config/plugins), whose CommonJS entry
 * (loader.cts) registers the hooks below and forwards each call here.
 */
import type { HarakaAddress, HarakaConnection, HarakaPlugin, Next } from './haraka.js';
import { MtaExprPlugin } from './plugin.js';

export { MtaExprPlugin } from './plugin.js';
export { DSN, HOOK, type HarakaConnection, type HarakaPlugin, type Next } from './haraka.js';
export { readSettings, SETTINGS_FILE, SettingsError, type HarakaSettings } from './settings.js';

const instances = new WeakMap<HarakaPlugin, MtaExprPlugin>();

/** Starts the plugin for Haraka's plugin object: reads config/mta-expr.ini and opens the configuration. */
export function start(plugin: HarakaPlugin): Promise<void> {
  const instance = new MtaExprPlugin(plugin);
  instances.set(plugin, instance);
  return instance.ready;
}

function instance(plugin: HarakaPlugin): MtaExprPlugin {
  let i = instances.get(plugin);
  if (i === undefined) {
    void start(plugin);
    i = instances.get(plugin)!;
  }
  return i;
}

/** The hook methods, by the names the loader registers them under. */
export const methods = {
  mta_expr_connect_init: (plugin: HarakaPlugin, next: Next, connection: HarakaConnection) => instance(plugin).connectInit(next, connection),
  mta_expr_connect: (plugin: HarakaPlugin, next: Next, connection: HarakaConnection) => instance(plugin).connect(next, connection),
  mta_expr_hello: (plugin: HarakaPlugin, next: Next, connection: HarakaConnection, host: string) => instance(plugin).hello(next, connection, host),
  mta_expr_capabilities: (plugin: HarakaPlugin, next: Next, connection: HarakaConnection) => instance(plugin).capabilities(next, connection),
  mta_expr_command: (plugin: HarakaPlugin, next: Next, connection: HarakaConnection, params: string[]) => instance(plugin).command(next, connection, params),
  mta_expr_mail: (plugin: HarakaPlugin, next: Next, connection: HarakaConnection, params: [HarakaAddress, Record<string, unknown>]) =>
    instance(plugin).mail(next, connection, params),
} as const;
