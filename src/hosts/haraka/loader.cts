/**
 * The CommonJS entry Haraka requires (through haraka/package.json at the package root):
 * Haraka reads a plugin's hooks when it loads it, so they are registered here, with the
 * priorities that put each one where it must run among the other plugins; each call is
 * forwarded to the ES module (index.ts), loaded once.
 */
type Module = typeof import('./index.js');
type Method = keyof Module['methods'];
type Forward = (this: never, ...args: never[]) => void;

interface Plugin {
  register_hook(hook: string, method: string, priority?: number): void;
  logcrit(...args: unknown[]): void;
}

/** Haraka runs a hook's plugins by ascending priority (-100 … 100). */
const HOOKS: ReadonlyArray<readonly [hook: string, method: Method, priority: number]> = [
  ['connect_init', 'mta_expr_connect_init', 0],
  // Last: the greeting is answered once every other plugin accepted the connection.
  ['connect', 'mta_expr_connect', 100],
  ['helo', 'mta_expr_hello', 100],
  ['ehlo', 'mta_expr_hello', 100],
  // After the auth plugins, whose AUTH line it replaces.
  ['capabilities', 'mta_expr_capabilities', 100],
  // Before the auth plugins: the AUTH exchange is carried out here.
  ['unrecognized_command', 'mta_expr_command', -100],
  // First: require and mustMatchSender before any other MAIL FROM check.
  ['mail', 'mta_expr_mail', -100],
];

/** Haraka's DENYSOFT (haraka-constants), for a plugin that could not be loaded at all. */
const DENYSOFT = 903;

let loaded: Promise<Module> | undefined;
const load = (): Promise<Module> => (loaded ??= import('./index.js'));

const plugin = module.exports as Record<string, Forward>;

plugin.register = function register(this: Plugin): void {
  for (const [hook, method, priority] of HOOKS) this.register_hook(hook, method, priority);
  load().then(
    (m) => m.start(this as never),
    (e: unknown) => this.logcrit(`cannot load mta-expr: ${e instanceof Error ? e.message : String(e)}`),
  );
};

for (const [, method] of new Map(HOOKS.map(([, m]) => [m, m]))) {
  plugin[method] = function forward(this: Plugin, ...args: unknown[]): void {
    const next = args[0] as (code?: number, message?: string) => void;
    // A rejection here would end Haraka's process: every failure becomes a temporary answer.
    const fail = (e: unknown): void => {
      this.logcrit(`${method}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      next(DENYSOFT, '4.3.0 Temporary policy failure, try again later.');
    };
    load().then((m) => {
      try {
        (m.methods[method] as (...a: unknown[]) => void)(this, ...args);
      } catch (e) {
        fail(e);
      }
    }, fail);
  };
}
