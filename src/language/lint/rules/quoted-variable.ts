/**
 * `starts_with('sender_domain', 'x')`, `key_exists('list', 'sender_domain')`: a quoted
 * variable name is the text of the name, not the variable's value. Reported where the
 * string stands as a value and the mistake is evident: a call or comparison whose other
 * values are literals too (so it could only ever give one result), or a lookup's key that
 * spells a variable with `_` or `.` (a plain word such as `'mx'` may be a key of its own).
 */
import type { LintRule } from '../rule.js';
import { fix, isString, somewhereBelow, walk } from '../walk.js';
import type { Node } from '../../syntax/ast.js';

/** Arguments that name something (a store, a query, a record type, an algorithm, a part), not values. */
const NAME_ARGUMENTS: Readonly<Record<string, readonly number[]>> = {
  key_get: [0],
  key_exists: [0],
  key_set: [0],
  counter_incr: [0],
  counter_get: [0],
  sql_query: [0, 1],
  dns_query: [1],
  hash: [1],
  email_part: [1],
  sort: [1],
};

/** Host lookups: their key arguments are looked up as given, so a quoted name is a real key nobody means. */
const LOOKUP_KEYS: Readonly<Record<string, readonly number[]>> = {
  key_get: [1],
  key_exists: [1],
  key_set: [1, 2],
  counter_incr: [1],
  counter_get: [1],
  is_local_domain: [0],
  is_local_address: [0],
  dns_query: [0],
  sql_query: [2],
};

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** A node that reads something (a variable, a global, a capture, a host value, a lookup). */
const reads = (n: Node): boolean => n.kind === 'variable' || n.kind === 'global' || n.kind === 'capture' || n.kind === 'system' || n.kind === 'metric' || (n.kind === 'call' && LOOKUP_KEYS[n.name] !== undefined);

export const quotedVariable: LintRule = {
  code: 'quoted-variable',
  summary: "a quoted variable name ('sender_domain') where the variable's value is meant",
  run(ctx) {
    for (const part of ctx.parts) {
      const readsSomething = somewhereBelow(part.tree, reads);
      const flag = (node: Node, key = false): void => {
        if (!isString(node) || !ctx.variables.has(node.value)) return;
        // A plain word (`mx`, `priority`) may well be a key of its own; `sender_domain` hardly.
        if (key && !/[_.]/.test(node.value)) return;
        ctx.report(part, node.span, `'${node.value}' is the text of a variable's name, not its value: a quoted name is a string`, fix(node.span, node.value, 'write the variable'));
      };
      walk(part.tree, (node) => {
        if (node.kind === 'call') {
          const names = NAME_ARGUMENTS[node.name] ?? [];
          const keys = LOOKUP_KEYS[node.name] ?? [];
          const values = node.args.filter((_, i) => !names.includes(i));
          // A lookup of a literal key is not constant (the store changes): only its key rule applies.
          const constant = keys.length === 0 && !values.some(readsSomething);
          node.args.forEach((arg, i) => {
            if (constant && !names.includes(i)) flag(arg);
            else if (keys.includes(i)) flag(arg, true);
          });
        } else if (node.kind === 'matches') {
          flag(node.value);
        } else if (node.kind === 'binary' && COMPARISONS.has(node.op) && !readsSomething(node.left) && !readsSomething(node.right)) {
          flag(node.left);
          flag(node.right);
        }
      });
    }
  },
};
