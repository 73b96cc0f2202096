/**
 * Functions people write by analogy with other languages (`lower`, `length`, `regex`,
 * `in_cidr`, `lookup`), and the built-in that does the same thing. One row each: the names,
 * the built-in, and how a call is rewritten when the arguments need more than a new name
 * (another order, a literal list spread into a disjunction).
 */
import type { CallNode, Node } from '../syntax/ast.js';

export interface Analogy {
  /** The names people write. */
  names: readonly string[];
  /** The built-in (or built-ins) that does it, for the message. */
  use: string;
  /**
   * Today's form of the call, or undefined to keep the arguments and only change the name
   * to `use`. `text` gives an argument's source; `inCondition` tells a test from a value.
   */
  rewrite?(call: CallNode, text: (node: Node) => string, inCondition: boolean): string | undefined;
}

const isStringLiteral = (n: Node | undefined): boolean => n?.kind === 'literal' && typeof n.value === 'string';
const looksLikeNetwork = (n: Node): boolean => n.kind === 'array' || (n.kind === 'literal' && typeof n.value === 'string' && /^[0-9a-fA-F:.]+(?:\/[0-9]+)?$/.test(n.value));

/** `f(ip, net)` or `f(net, ip)`, with a single network or a literal list of them. */
function cidr(call: CallNode, text: (node: Node) => string): string | undefined {
  if (call.args.length !== 2) return undefined;
  let [ip, net] = call.args as [Node, Node];
  if (looksLikeNetwork(ip) && !looksLikeNetwork(net)) [ip, net] = [net, ip];
  if (net.kind !== 'array') return `is_ip_in_cidr(${text(ip)}, ${text(net)})`;
  if (net.items.length === 0) return undefined;
  const tests = net.items.map((item) => `is_ip_in_cidr(${text(ip)}, ${text(item)})`);
  return tests.length === 1 ? tests[0] : `(${tests.join(' || ')})`;
}

/** `f(value, pattern)` or `f(pattern, value)`: `matches` takes the pattern (a literal) first. */
function regex(call: CallNode, text: (node: Node) => string): string | undefined {
  if (call.args.length !== 2) return undefined;
  const [a, b] = call.args as [Node, Node];
  if (isStringLiteral(a) === isStringLiteral(b)) return undefined;
  const [pattern, value] = isStringLiteral(a) ? [a, b] : [b, a];
  return `matches(${text(pattern)}, ${text(value)})`;
}

/** `f(needle, list)`: `contains` takes the list first. */
function membership(call: CallNode, text: (node: Node) => string): string | undefined {
  if (call.args.length !== 2) return undefined;
  const [needle, list] = call.args as [Node, Node];
  return `contains(${text(list)}, ${text(needle)})`;
}

export const ANALOGIES: readonly Analogy[] = [
  { names: ['lower', 'lowercase', 'tolower', 'to_lower', 'lcase', 'downcase', 'strtolower'], use: 'to_lowercase' },
  { names: ['upper', 'uppercase', 'toupper', 'to_upper', 'ucase', 'upcase', 'strtoupper'], use: 'to_uppercase' },
  { names: ['length', 'strlen', 'str_len', 'size', 'string_length'], use: 'len' },
  { names: ['startswith', 'begins_with', 'starts', 'has_prefix'], use: 'starts_with' },
  { names: ['endswith', 'ends', 'has_suffix'], use: 'ends_with' },
  { names: ['includes', 'contain', 'has_substring'], use: 'contains' },
  { names: ['in_list', 'is_in_list', 'in_array', 'is_in'], use: 'contains', rewrite: membership },
  { names: ['ltrim', 'trim_left', 'lstrip'], use: 'trim_start' },
  { names: ['rtrim', 'trim_right', 'rstrip'], use: 'trim_end' },
  { names: ['strip'], use: 'trim' },
  { names: ['substr', 'mid'], use: 'substring' },
  { names: ['isempty', 'empty', 'is_null', 'is_blank'], use: 'is_empty' },
  { names: ['regex', 'regexp', 'match', 'regex_match', 'matches_regex', 're_match', 'preg_match', 'rlike'], use: 'matches', rewrite: regex },
  {
    names: ['ip_in_list', 'matches_cidr', 'in_cidr', 'ip_in_cidr', 'is_in_cidr', 'cidr_match', 'in_subnet', 'ip_in_subnet', 'ip_in_range', 'in_network'],
    use: 'is_ip_in_cidr',
    rewrite: cidr,
  },
  {
    names: ['lookup', 'key_lookup', 'lookup_key', 'get_key', 'kv_get'],
    use: 'key_get',
    rewrite: (call, text, inCondition) => (call.args.length === 2 ? `${inCondition ? 'key_exists' : 'key_get'}(${call.args.map(text).join(', ')})` : undefined),
  },
  { names: ['exists', 'has_key', 'key_in'], use: 'key_exists' },
  { names: ['dns_lookup', 'resolve', 'dig'], use: 'dns_query' },
  { names: ['reverse_ip', 'ip_reverse', 'reverse_dns_name'], use: 'ip_reverse_name' },
  { names: ['is_local_user', 'is_local_rcpt', 'is_local_recipient', 'user_exists'], use: 'is_local_address' },
  { names: ['is_local', 'is_local_host'], use: 'is_local_domain' },
];

const BY_NAME: ReadonlyMap<string, Analogy> = new Map(ANALOGIES.flatMap((a) => a.names.map((n) => [n, a] as const)));

/** The analogy a function name belongs to, if any. */
export function analogyOf(name: string): Analogy | undefined {
  return BY_NAME.get(name);
}
