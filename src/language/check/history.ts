/**
 * The language's history: names and forms that configurations written for earlier versions
 * of the reference server still carry, each with the version that changed it and what to
 * write today. One table, read by the checker (a fix-it hint on the compile error an old
 * form causes) and by the lints (old forms that still compile but no longer mean the same).
 *
 * The facts come from the reference server's releases: its expression variable and function
 * tables, configuration defaults and changelog, version by version.
 */
import type { CallNode, Node } from '../syntax/ast.js';

/** The version facts quoted in messages. */
export const VERSIONS = {
  /** `config_get(SETTING)` existed from this release… */
  configGetAdded: '0.11.2',
  /**
   * …until this one: the configuration became objects of a registry, `system(NAME)` replaced
   * `config_get`, `is_local_domain`/`is_local_address` lost their directory argument, and
   * several variables were renamed.
   */
  registry: '0.16.0',
} as const;

/** A variable that had another name. */
export interface RenamedVariable {
  /** The old name. */
  name: string;
  /** Today's name. */
  to: string;
  /** The release that renamed it. */
  since: string;
  /** Only in these variable groups (absent: wherever `to` is available). */
  groups?: readonly string[];
  /** Where the old name was used. */
  where: string;
}

export const RENAMED_VARIABLES: readonly RenamedVariable[] = [
  { name: 'url_path', to: 'path', since: VERSIONS.registry, where: 'HTTP expressions' },
  { name: 'address', to: 'rcpt', since: VERSIONS.registry, groups: ['MtaRcptVariable'], where: 'sub-addressing and catch-all rules' },
  { name: 'email', to: 'rcpt', since: VERSIONS.registry, groups: ['MtaRcptVariable'], where: 'sub-addressing and catch-all rules' },
  { name: 'email', to: 'value', since: VERSIONS.registry, groups: ['SpamHeaderVariable'], where: 'spam filter header rules' },
  { name: 'email_lower', to: 'value_lower', since: VERSIONS.registry, groups: ['SpamHeaderVariable'], where: 'spam filter header rules' },
  { name: 'ehlo_domain', to: 'helo_domain', since: VERSIONS.registry, where: 'spam filter rules' },
  { name: 'auth_as', to: 'authenticated_as', since: VERSIONS.registry, where: 'spam filter rules' },
  { name: 'input', to: 'value', since: VERSIONS.registry, where: 'spam filter rules on IP addresses, domains and bodies' },
  { name: 'result', to: 'value', since: VERSIONS.registry, where: 'spam filter rules on domains and bodies' },
];

/**
 * Up to 0.5 the rule keys were written with hyphens (`remote-ip`, `authenticated-as`,
 * `sender-domain`); expressions replaced the rules in 0.6.0 with `_` names.
 */
export const UNDERSCORE_NAMES_SINCE = '0.6.0';

/**
 * Settings that older expressions read from the configuration (`config_get('server.hostname')`
 * in 0.11.2–0.15, `%{cfg:…}%` macros, `key_get('default', 'hostname')` up to 0.11.1), and
 * the host value that carries the same thing since 0.16.0.
 */
export const SETTING_VALUES: Readonly<Record<string, string>> = {
  'server.hostname': 'hostname',
  'report.domain': 'domain',
  'cluster.node-id': 'node_id',
  'lookup.default.hostname': 'hostname',
  'lookup.default.domain': 'domain',
};

/** The keys of the `default` lookup that held the hostname and domain up to 0.11.1. */
export const DEFAULT_LOOKUP_KEYS: Readonly<Record<string, string>> = { hostname: 'hostname', domain: 'domain' };

/** A function whose form changed: the old arity, the release, and the call in today's form. */
export interface ChangedFunction {
  name: string;
  /** The arity of the old form (a call with another arity is not this entry's). */
  arity: number;
  since: string;
  /** What changed and in which release, for the message. */
  change: string;
  /** Today's form of the call (`text` gives an argument's source), or undefined when there is none. */
  rewrite(call: CallNode, text: (node: Node) => string): string | undefined;
}

const literalString = (node: Node | undefined): string | undefined => (node?.kind === 'literal' && typeof node.value === 'string' ? node.value : undefined);

export const CHANGED_FUNCTIONS: readonly ChangedFunction[] = [
  {
    name: 'is_local_domain',
    arity: 2,
    since: VERSIONS.registry,
    change: `the directory argument was removed in ${VERSIONS.registry} (the server has one directory)`,
    rewrite: (call, text) => `is_local_domain(${text(call.args[1]!)})`,
  },
  {
    name: 'is_local_address',
    arity: 2,
    since: VERSIONS.registry,
    change: `the directory argument was removed in ${VERSIONS.registry} (the server has one directory)`,
    rewrite: (call, text) => `is_local_address(${text(call.args[1]!)})`,
  },
  {
    name: 'config_get',
    arity: 1,
    since: VERSIONS.registry,
    change: `it was removed in ${VERSIONS.registry} (it read settings from ${VERSIONS.configGetAdded} on): expressions read the host's values with \`system(NAME)\``,
    rewrite: (call) => {
      const name = SETTING_VALUES[literalString(call.args[0]) ?? ''];
      return name === undefined ? undefined : `system('${name}')`;
    },
  },
];

/** The entry for a call, if its name and arity are those of an old form. */
export function changedFunction(call: CallNode): ChangedFunction | undefined {
  return CHANGED_FUNCTIONS.find((f) => f.name === call.name && f.arity === call.args.length);
}

/** The rename of a variable that applies in a context: the group matches (when the entry names groups). */
export function renamedVariable(name: string, group: string | null): RenamedVariable | undefined {
  return RENAMED_VARIABLES.find((r) => r.name === name && (r.groups === undefined || (group !== null && r.groups.includes(group))));
}
