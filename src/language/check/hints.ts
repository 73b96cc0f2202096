/**
 * Fix-it hints: for the compile errors people really meet, what to write instead. Each
 * function looks at the faulty node (or text) and returns the message to show and, where
 * the fault has an evident fix, the replacement with its span. The checker calls them where
 * it fails; `lexicalHint` amends the errors of the lexer and the parser.
 */
import { ALL_VARIABLE_SET } from '../contexts.js';
import type { Fix } from '../errors/diagnostic.js';
import type { CompileError } from '../errors/errors.js';
import type { Span } from '../errors/snippet.js';
import { nearest } from '../errors/suggest.js';
import type { BinaryNode, CallNode, IdentifierNode, Node } from '../syntax/ast.js';
import { quote } from '../syntax/printer.js';
import { analogyOf } from './analogies.js';
import { changedFunction, DEFAULT_LOOKUP_KEYS, renamedVariable, SETTING_VALUES, UNDERSCORE_NAMES_SINCE } from './history.js';
import type { Scope } from './scope.js';

/**
 * Where a node stands, for choosing a fix: the test of an `if` (or an operand of `!`, `&&`,
 * `||` there), a block's result (a `then`, an `else`, or an element of an array that is
 * one), or any other value.
 */
export type Position = 'condition' | 'result' | 'value';

/** A message and, when there is one, the fix. */
export interface Explained {
  message: string;
  hint?: Fix;
}

const fix = (span: Span, replacement: string, description = 'write'): Fix => ({ replacement, span: { start: span.start, end: span.end }, description });

/**
 * Variables of another context, and the variable of this context that carries the same
 * thing. The first row whose `use` the context has (and whose groups, if any, include the
 * context's) applies.
 */
const EQUIVALENTS: ReadonlyArray<{ name: string; use: string; groups?: readonly string[]; why: string }> = [
  { name: 'rcpt', use: 'sender', groups: ['MtaQueueSenderVariable'], why: 'a delivery status notification goes to the sender' },
  { name: 'rcpt_domain', use: 'sender_domain', groups: ['MtaQueueSenderVariable'], why: 'a delivery status notification goes to the sender' },
  { name: 'local_port', use: 'received_via_port', why: 'the local port the message was received on' },
  { name: 'remote_ip', use: 'received_from_ip', why: 'the address of the client the message was received from' },
  { name: 'sender', use: 'env_from', why: 'the envelope sender (MAIL FROM)' },
  { name: 'sender_domain', use: 'env_from.domain', why: 'the domain of the envelope sender' },
  { name: 'rcpt', use: 'env_to', why: 'the envelope recipient (RCPT TO)' },
  { name: 'env_from', use: 'sender', why: 'the envelope sender (MAIL FROM)' },
  { name: 'env_from.domain', use: 'sender_domain', why: 'the domain of the envelope sender' },
  { name: 'env_to', use: 'rcpt', why: 'the envelope recipient (RCPT TO)' },
];

/** Facts of a context that explain why a variable is missing there, when no other variable replaces it. */
const ABSENT_BECAUSE: ReadonlyArray<{ name: string; groups: readonly string[]; why: string }> = [
  { name: 'rcpt_domain', groups: ['MtaRcptVariable'], why: '`rcpt` holds only the local part here: the server keeps the domain' },
  { name: 'sender', groups: ['MtaRcptVariable'], why: 'only the local part of the recipient is known here' },
];

function resolvesIn(name: string, scope: Scope): boolean {
  return name === 'true' || name === 'false' || scope.variables.has(name) || scope.constants.has(name);
}

/** An unknown bare word: a renamed variable, a word in the wrong case, a near name, or a string without quotes. */
export function unknownName(node: IdentifierNode, scope: Scope, position: Position): Explained {
  const { name, span } = node;
  const renamed = renamedVariable(name, scope.variableGroup);
  if (renamed !== undefined) {
    const here = scope.variables.has(renamed.to);
    return {
      message: `unknown name \`${name}\`: in ${renamed.where} it is \`${renamed.to}\` since ${renamed.since}${here ? '' : ', which is not available in this context either'}`,
      ...(here ? { hint: fix(span, renamed.to) } : {}),
    };
  }
  const lower = name.toLowerCase();
  if (lower !== name && resolvesIn(lower, scope)) {
    return { message: `unknown name \`${name}\`: names are case-sensitive`, hint: fix(span, lower) };
  }
  const suggestion = nearest(name, [...scope.variables, ...scope.constants]);
  if (suggestion !== undefined) return { message: `unknown name \`${name}\`; did you mean \`${suggestion}\`?`, hint: fix(span, suggestion) };
  if (position !== 'condition') {
    return { message: `unknown name \`${name}\` (a bare word is read as a variable or constant name)`, hint: fix(span, quote(name)) };
  }
  return { message: `unknown name \`${name}\`` };
}

/** A variable of another context: a rename in this context, the variable here that carries the same thing, or a string meant as a result. */
export function unavailableVariable(node: IdentifierNode, scope: Scope, position: Position): { note: string; hint?: Fix } {
  const { name, span } = node;
  const renamed = renamedVariable(name, scope.variableGroup);
  if (renamed !== undefined && scope.variables.has(renamed.to)) {
    return { note: `; in ${renamed.where} it is \`${renamed.to}\` since ${renamed.since}`, hint: fix(span, renamed.to) };
  }
  const group = scope.variableGroup;
  const same = EQUIVALENTS.find((e) => e.name === name && scope.variables.has(e.use) && (e.groups === undefined || (group !== null && e.groups.includes(group))));
  if (same !== undefined) return { note: `. Here \`${same.use}\` carries the same thing (${same.why})`, hint: fix(span, same.use) };
  const absent = group === null ? undefined : ABSENT_BECAUSE.find((a) => a.name === name && a.groups.includes(group));
  if (absent !== undefined) return { note: ` (${absent.why})` };
  // A plain word as a block's result (`then: local`) is text more often than a variable of another context.
  if (position === 'result' && /^[a-z]+$/.test(name)) return { note: ' (a bare word is read as a variable name)', hint: fix(span, quote(name)) };
  return { note: '' };
}

/** A constant in a field that takes none, where a string is evidently meant. */
export function unavailableConstant(node: IdentifierNode, scope: Scope, position: Position): Fix | undefined {
  return scope.constants.size === 0 && position === 'result' ? fix(node.span, quote(node.name)) : undefined;
}

/**
 * `in-memory`, `authenticated-as`: a word with hyphens lexes as names joined by `-`. Returns
 * the word and its names when `node` is such a chain written without spaces.
 */
export function hyphenatedWord(node: BinaryNode, source: string): { text: string; names: IdentifierNode[] } | undefined {
  const names: IdentifierNode[] = [];
  let n: Node = node;
  while (n.kind === 'binary' && n.op === '-' && n.right.kind === 'identifier' && source.slice(n.left.span.end, n.right.span.start) === '-') {
    names.unshift(n.right);
    n = n.left;
  }
  if (n.kind !== 'identifier' || names.length === 0) return undefined;
  names.unshift(n);
  return { text: source.slice(node.span.start, node.span.end), names };
}

/**
 * The error for a hyphenated word: when its `_` spelling is a variable here, or none of its
 * names is known (`in-memory`). A subtraction with one unknown name (`retry_num-x`) is left
 * to the usual error for that name.
 */
export function hyphenated(word: { text: string; names: IdentifierNode[] }, span: Span, scope: Scope): Explained | undefined {
  const underscored = word.text.replace(/-/g, '_');
  const known = word.names.filter((n) => resolvesIn(n.name, scope)).length;
  if (known === word.names.length || (known > 0 && !scope.variables.has(underscored))) return undefined;
  const read = `\`${word.text}\` is read as \`${word.names.map((n) => n.name).join(' - ')}\`, a subtraction: a name cannot contain \`-\``;
  if (scope.variables.has(underscored)) {
    return { message: `${read} (names are written with \`_\` since ${UNDERSCORE_NAMES_SINCE})`, hint: fix(span, underscored) };
  }
  const elsewhere = ALL_VARIABLE_SET.has(underscored) ? `; \`${underscored}\` is a variable of other contexts` : '';
  return { message: `${read}; quote it to mean the text${elsewhere}`, hint: fix(span, quote(word.text)) };
}

/** Why a function name is unknown: an old form or a name from another language (`because`), else a near name. */
export interface UnknownFunction {
  because?: string;
  didYouMean?: string;
  hint?: Fix;
}

/** An unknown function (or a variable called like one): an old form, a name from another language, or a near name. */
export function unknownFunction(call: CallNode, scope: Scope, source: string, position: Position, knownFunctions: Iterable<string>): UnknownFunction {
  const text = (n: Node): string => source.slice(n.span.start, n.span.end);
  const changed = changedFunction(call);
  if (changed !== undefined) {
    const rewritten = changed.rewrite(call, text);
    return { because: changed.change, ...(rewritten !== undefined ? { hint: fix(call.span, rewritten) } : {}) };
  }
  const analogy = analogyOf(call.name);
  if (analogy !== undefined) {
    const arity = scope.functions.get(analogy.use)?.arity;
    const rewritten = analogy.rewrite ? analogy.rewrite(call, text, position === 'condition') : undefined;
    const because = `the built-in that does this is \`${analogy.use}\`${analogy.use === 'key_get' ? ' (`key_exists` to test for a key)' : ''}`;
    if (rewritten !== undefined) return { because, hint: fix(call.span, rewritten) };
    if (!analogy.rewrite && arity === call.args.length) return { because, hint: fix(call.nameSpan, analogy.use) };
    return { because };
  }
  const suggestion = nearest(call.name, knownFunctions);
  return suggestion === undefined ? {} : { didYouMean: suggestion, hint: fix(call.nameSpan, suggestion) };
}

/** A call with the arity of an old form (`is_local_domain(directory, domain)`). */
export function oldArity(call: CallNode, source: string): { note: string; hint?: Fix } | undefined {
  const changed = changedFunction(call);
  if (changed === undefined) return undefined;
  const rewritten = changed.rewrite(call, (n) => source.slice(n.span.start, n.span.end));
  return { note: `: ${changed.change}`, ...(rewritten !== undefined ? { hint: fix(call.span, rewritten) } : {}) };
}

/** `matches(rcpt, '^x')`: the pattern comes first. */
export function swappedMatches(call: CallNode, source: string): Fix | undefined {
  const [value, pattern] = call.args;
  if (value === undefined || pattern === undefined || pattern.kind !== 'literal' || typeof pattern.value !== 'string') return undefined;
  const text = (n: Node): string => source.slice(n.span.start, n.span.end);
  return fix(call.span, `matches(${text(pattern)}, ${text(value)})`, 'put the pattern first:');
}

/** `key_get('default', 'hostname')`: the lookup that held the hostname up to 0.11.1. */
export function defaultLookup(call: CallNode): { replacement: string; key: string } | undefined {
  if (call.name !== 'key_get' || call.args.length !== 2) return undefined;
  const [store, key] = call.args as [Node, Node];
  if (store.kind !== 'literal' || store.value !== 'default' || key.kind !== 'literal' || typeof key.value !== 'string') return undefined;
  const name = DEFAULT_LOOKUP_KEYS[key.value];
  return name === undefined ? undefined : { replacement: `system('${name}')`, key: key.value };
}

/** A configuration file macro at `offset`: `%{env:NAME}%` or `${NAME}`, with its extent. */
export function macroAt(source: string, offset: number): { text: string; span: Span; kind: 'percent' | 'dollar'; body: string } | undefined {
  if (source.startsWith('%{', offset)) {
    const end = source.indexOf('}%', offset + 2);
    if (end < 0) return undefined;
    return { text: source.slice(offset, end + 2), span: { start: offset, end: end + 2 }, kind: 'percent', body: source.slice(offset + 2, end) };
  }
  if (source.startsWith('${', offset)) {
    const end = source.indexOf('}', offset + 2);
    if (end < 0) return undefined;
    return { text: source.slice(offset, end + 1), span: { start: offset, end: end + 1 }, kind: 'dollar', body: source.slice(offset + 2, end) };
  }
  return undefined;
}

/** What a macro stands for in an expression, when it is evident: a setting's host value, or a variable. */
export function macroReplacement(macro: { kind: 'percent' | 'dollar'; body: string }, variables: ReadonlySet<string>): string | undefined {
  if (macro.kind === 'percent') {
    const cfg = /^cfg:(.+)$/.exec(macro.body.trim());
    const name = cfg ? SETTING_VALUES[cfg[1]!] : undefined;
    return name === undefined ? undefined : `system('${name}')`;
  }
  const name = macro.body.trim();
  return variables.has(name) ? name : undefined;
}

/** Why a macro is not expanded here. */
export function macroMessage(macro: { text: string; kind: 'percent' | 'dollar' }): string {
  return macro.kind === 'percent'
    ? `\`${macro.text}\` is a macro of the configuration file loader: it is expanded in the file before an expression is compiled, never by the expression language`
    : `\`${macro.text}\` is expanded by whatever writes the configuration file (a shell, a template), never by the expression language`;
}

/**
 * Amends an error of the lexer or the parser where the source holds a configuration file
 * macro (`%{env:HOSTNAME}%`, `${HOSTNAME}`): it says who expands it and, when evident, what
 * to write in an expression.
 */
export function lexicalHint(error: CompileError, scope: Scope): CompileError {
  if (error.code !== 'invalid-character' && error.code !== 'syntax') return error;
  // `${…}`: the lexer stops at the `{` after the `$`.
  const macro = macroAt(error.source, error.offset) ?? (error.source[error.offset - 1] === '$' ? macroAt(error.source, error.offset - 1) : undefined);
  if (macro === undefined) return error;
  const replacement = macroReplacement(macro, scope.variables);
  return error.amend({
    message: macroMessage(macro),
    offset: macro.span.start,
    length: macro.span.end - macro.span.start,
    ...(replacement !== undefined ? { hint: fix(macro.span, replacement) } : {}),
  });
}
