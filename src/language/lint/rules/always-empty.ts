/**
 * Variables the reference server never fills in a context, though the context lists them.
 * Each row says why and where the reference shows it; reading such a variable gives `''`
 * every time, so a test on it is decided before any mail arrives.
 */
import type { Node } from '../../syntax/ast.js';
import type { LintRule } from '../rule.js';
import { isString, walk } from '../walk.js';

interface EmptyVariables {
  groups: readonly string[];
  variables: readonly string[];
  why: string;
}

/** Variables that are always `''` in a context. */
const ALWAYS_EMPTY: readonly EmptyVariables[] = [
  {
    // The reference evaluates the DSN settings on the queued message alone, whose
    // variables are the sender, its domain, the recipients and the priority.
    groups: ['MtaQueueSenderVariable'],
    variables: ['retry_num', 'notify_num', 'expires_in', 'last_status', 'last_error'],
    why: 'delivery status notification settings are evaluated on the message alone, which gives only `sender`, `sender_domain` and `priority`',
  },
];

/** Calls whose result is fixed in a context because of what a variable holds there. */
const FIXED_CALLS: ReadonlyArray<{ groups: readonly string[]; variable: string; test(call: Node & { kind: 'call' }): string | undefined }> = [
  {
    // Documented: a custom sub-addressing rule "receives the recipient local part as `rcpt`";
    // the domain is kept by the server and is not part of the value.
    groups: ['MtaRcptVariable'],
    variable: 'rcpt',
    test(call) {
      if (call.name === 'email_part') return "is always empty: `rcpt` is only the local part here (no `@`), the server keeps the domain";
      if (call.name === 'is_email') return 'is always 0: `rcpt` is only the local part here, not an address';
      if (call.name === 'contains' && isString(call.args[1]) && call.args[1].value.includes('@')) return 'is always 0: `rcpt` is only the local part here (no `@`)';
      return undefined;
    },
  },
];

export const alwaysEmpty: LintRule = {
  code: 'always-empty',
  summary: 'a variable the reference never fills in this context (always empty), or a call decided by it',
  run(ctx) {
    const group = ctx.variableGroup;
    if (group === null) return;
    const empty = ALWAYS_EMPTY.filter((e) => e.groups.includes(group));
    const fixed = FIXED_CALLS.filter((e) => e.groups.includes(group));
    for (const part of ctx.parts) {
      walk(part.tree, (node) => {
        if (node.kind === 'variable') {
          const row = empty.find((e) => e.variables.includes(node.name));
          if (row) ctx.report(part, node.span, `\`${node.name}\` is always empty here: ${row.why}`);
        } else if (node.kind === 'call') {
          for (const row of fixed) {
            if (!node.args.some((a) => a.kind === 'variable' && a.name === row.variable)) continue;
            const why = row.test(node);
            if (why) ctx.report(part, node.span, `\`${part.source.slice(node.span.start, node.span.end)}\` ${why}`);
          }
        }
      });
    }
  },
};
