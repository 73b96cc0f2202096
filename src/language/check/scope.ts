/**
 * Compile options and the scope they resolve to: which variables, constants, functions,
 * host values and limits an expression is checked against (SPEC §5, §6, §9).
 */
import { ALL_CONSTANT_SET, ALL_VARIABLE_SET, CONSTANT_GROUPS, SYSTEM_NAMES, VARIABLE_GROUPS } from '../contexts.js';
import { EvaluationError } from '../errors/errors.js';
import { BUILTIN_FUNCTIONS, type FunctionSpec } from '../functions/index.js';
import { fromHost, toHost, type HostValue } from '../runtime/host-values.js';
import type { Value } from '../runtime/values.js';
import { DEFAULT_LIMITS, MAX_LIMITS, type Limits } from '../syntax/limits.js';
import { SPECIAL_FORMS } from './special-forms.js';

/** A function the host adds to the language. Arguments arrive as plain JS values. */
export interface CustomFunction {
  name: string;
  arity: number;
  /** Synchronous implementation. */
  fn?: (...args: HostValue[]) => unknown;
  /** Asynchronous implementation: programs that call it are evaluated with evaluateAsync. */
  asyncFn?: (...args: HostValue[]) => Promise<unknown>;
  /** Same arguments give the same result and nothing else happens: calls on constants may be folded. */
  pure?: boolean;
}

export interface CompileOptions {
  /**
   * The variable group (a name such as `MtaEhloVariable`), or an explicit list of names.
   * Absent or null: every variable the language knows.
   */
  variables?: string | readonly string[] | null;
  /**
   * The constant group (such as `MtaAuthTypeConstant`), or an explicit list of names.
   * Absent: every known constant when `variables` is absent too, otherwise none.
   * Null: none.
   */
  constants?: string | readonly string[] | null;
  /** Functions added by the host, checked like built-ins. */
  functions?: readonly CustomFunction[];
  /** Valid `metric(NAME)` names; absent: any name. */
  metrics?: readonly string[];
  /** Valid `system(NAME)` names; default: domain, hostname, node_id, node_hostname, node_role. */
  systemNames?: readonly string[];
  /** Size and cost limits (defaults in DEFAULT_LIMITS, each at most its MAX_LIMITS value). */
  limits?: Partial<Limits>;
  /** Run the optimiser passes (default true). */
  optimize?: boolean;
}

const OPTION_KEYS = new Set(['variables', 'constants', 'functions', 'metrics', 'systemNames', 'limits', 'optimize']);
const LIMIT_KEYS = new Set(Object.keys(DEFAULT_LIMITS));

/** What an expression is checked against. */
export interface Scope {
  /** Allowed variables. */
  variables: ReadonlySet<string>;
  /** The group's name, for messages (null: every known variable, or an explicit list). */
  variableGroup: string | null;
  constants: ReadonlySet<string>;
  constantGroup: string | null;
  functions: ReadonlyMap<string, FunctionSpec>;
  metrics: ReadonlySet<string> | null;
  systemNames: ReadonlySet<string>;
  limits: Readonly<Limits>;
  optimize: boolean;
}

const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));
const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const groupSets = new Map<string, ReadonlySet<string>>();

function groupSet(kind: 'variable' | 'constant', name: string): ReadonlySet<string> {
  const groups = kind === 'variable' ? VARIABLE_GROUPS : CONSTANT_GROUPS;
  const key = kind + ':' + name;
  let set = groupSets.get(key);
  if (set === undefined) {
    if (!Object.prototype.hasOwnProperty.call(groups, name)) {
      throw new TypeError(`unknown ${kind} group \`${name}\`; known groups: ${Object.keys(groups).join(', ')}`);
    }
    set = new Set(groups[name]);
    groupSets.set(key, set);
  }
  return set;
}

function nameList(kind: string, names: readonly string[]): ReadonlySet<string> {
  for (const n of names) {
    if (typeof n !== 'string' || !NAME.test(n)) throw new TypeError(`invalid ${kind} name ${JSON.stringify(n)}`);
    if (RESERVED.has(n)) throw new TypeError(`\`${n}\` cannot be a ${kind} name`);
  }
  return new Set(names);
}

function customFunction(f: CustomFunction): FunctionSpec {
  if (!f || typeof f.name !== 'string' || !NAME.test(f.name) || RESERVED.has(f.name)) {
    throw new TypeError(`invalid custom function name ${JSON.stringify(f?.name)}`);
  }
  if (SPECIAL_FORMS.has(f.name)) throw new TypeError(`\`${f.name}\` is a special form and cannot be replaced`);
  if (!Number.isInteger(f.arity) || f.arity < 0 || f.arity > 16) throw new TypeError(`custom function \`${f.name}\`: arity must be an integer from 0 to 16`);
  const sync = f.fn;
  const asyncImpl = f.asyncFn;
  if ((typeof sync === 'function') === (typeof asyncImpl === 'function')) {
    throw new TypeError(`custom function \`${f.name}\`: give exactly one of fn and asyncFn`);
  }
  // What a host function throws reaches the caller as an EvaluationError naming it.
  const name = f.name;
  if (sync) {
    const fn = (...args: Value[]): Value => {
      try {
        return fromHost(sync(...args.map(toHost)));
      } catch (e) {
        throw EvaluationError.inFunction(name, e);
      }
    };
    return { name, arity: f.arity, pure: f.pure === true, async: false, fn };
  }
  const asyncFn = async (_lookups: unknown, ...args: Value[]): Promise<Value> => {
    try {
      return fromHost(await asyncImpl!(...args.map(toHost)));
    } catch (e) {
      throw EvaluationError.inFunction(name, e);
    }
  };
  return { name, arity: f.arity, pure: false, async: true, asyncFn };
}

const defaultFunctions: ReadonlyMap<string, FunctionSpec> = BUILTIN_FUNCTIONS;
const DEFAULT_SYSTEM_NAMES: ReadonlySet<string> = new Set(SYSTEM_NAMES);

/** Scopes by the keys of `variables`, then of `constants`, then by `optimize` (false, true). */
const scopeCache = new Map<string, Map<string, [Scope | undefined, Scope | undefined]>>();
/** Past this many `variables` keys the cache starts over (a host making up new name lists cannot grow it without bound). */
const SCOPE_CACHE_SIZE = 256;

/**
 * The cache key of a `variables` or `constants` option, or `undefined` for what is not
 * cached. A list is keyed by its items (JSON), computed once per list object and reused
 * while the list holds the same items (a list may be changed).
 */
const listKeys = new WeakMap<readonly unknown[], { items: readonly unknown[]; key: string }>();
function optionKey(v: unknown): string | undefined {
  if (v === undefined) return 'absent';
  if (v === null) return 'none';
  if (typeof v === 'string') return 'group ' + v;
  if (!Array.isArray(v)) return undefined;
  const known = listKeys.get(v);
  if (known !== undefined && sameItems(known.items, v)) return known.key;
  for (const item of v) if (typeof item !== 'string') return undefined;
  const key = 'list ' + JSON.stringify(v);
  listKeys.set(v, { items: v.slice(), key });
  return key;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Resolves options into a scope; invalid options are a TypeError (a mistake of the host's code). */
export function resolveScope(options: CompileOptions = {}): Scope {
  // The common case, groups or lists of names and nothing else, is resolved once per combination.
  for (const k in options) if (k !== 'variables' && k !== 'constants' && k !== 'optimize') return buildScope(options);
  const variables = optionKey(options.variables);
  if (variables === undefined) return buildScope(options);
  const constants = optionKey(options.constants);
  if (constants === undefined) return buildScope(options);
  let byConstants = scopeCache.get(variables);
  if (byConstants === undefined) {
    if (scopeCache.size >= SCOPE_CACHE_SIZE) scopeCache.clear();
    byConstants = new Map();
    scopeCache.set(variables, byConstants);
  }
  let slots = byConstants.get(constants);
  if (slots === undefined) {
    if (byConstants.size >= SCOPE_CACHE_SIZE) byConstants.clear();
    slots = [undefined, undefined];
    byConstants.set(constants, slots);
  }
  const slot = options.optimize === false ? 0 : 1;
  return (slots[slot] ??= buildScope(options));
}

function buildScope(options: CompileOptions): Scope {
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw new TypeError(`unknown compile option \`${key}\``);
  const v = options.variables;
  const c = options.constants;
  let variables: ReadonlySet<string> = ALL_VARIABLE_SET;
  let variableGroup: string | null = null;
  if (typeof v === 'string') {
    variables = groupSet('variable', v);
    variableGroup = v;
  } else if (Array.isArray(v)) {
    variables = nameList('variable', v);
  } else if (v !== undefined && v !== null) {
    throw new TypeError('`variables` must be a group name, a list of names, or null');
  }
  let constants: ReadonlySet<string>;
  let constantGroup: string | null = null;
  if (typeof c === 'string') {
    constants = groupSet('constant', c);
    constantGroup = c;
  } else if (Array.isArray(c)) {
    constants = nameList('constant', c);
  } else if (c === undefined) {
    constants = v === undefined ? ALL_CONSTANT_SET : new Set();
  } else if (c === null) {
    constants = new Set();
  } else {
    throw new TypeError('`constants` must be a group name, a list of names, or null');
  }
  let functions = defaultFunctions;
  if (options.functions && options.functions.length > 0) {
    const map = new Map(defaultFunctions);
    for (const f of options.functions) map.set(f.name, customFunction(f));
    functions = map;
  }
  const limits = options.limits ? { ...DEFAULT_LIMITS } : DEFAULT_LIMITS;
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    if (!LIMIT_KEYS.has(key)) throw new TypeError(`unknown limit \`${key}\``);
    const max = MAX_LIMITS[key as keyof Limits];
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) throw new TypeError(`limit \`${key}\` must be an integer from 1 to ${max}`);
    (limits as Record<string, number>)[key] = value as number;
  }
  return {
    variables,
    variableGroup,
    constants,
    constantGroup,
    functions,
    metrics: options.metrics ? new Set(options.metrics) : null,
    systemNames: options.systemNames ? new Set(options.systemNames) : DEFAULT_SYSTEM_NAMES,
    limits,
    optimize: options.optimize !== false,
  };
}

