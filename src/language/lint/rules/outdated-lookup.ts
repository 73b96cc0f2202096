/**
 * `key_get('default', 'hostname')`: up to 0.11.1 the server's hostname and domain were keys
 * of the `default` lookup; they are host values, `system('hostname')` and
 * `system('domain')`, since 0.16.0. The old call still compiles, and reads a key nobody sets.
 */
import { defaultLookup } from '../../check/hints.js';
import { VERSIONS } from '../../check/history.js';
import type { LintRule } from '../rule.js';
import { fix, walk } from '../walk.js';

export const outdatedLookup: LintRule = {
  code: 'outdated-lookup',
  summary: "`key_get('default', 'hostname')`: the hostname and domain are `system('hostname')` and `system('domain')`",
  run(ctx) {
    for (const part of ctx.parts) {
      walk(part.tree, (node) => {
        if (node.kind !== 'call') return;
        const old = defaultLookup(node);
        if (!old) return;
        ctx.report(
          part,
          node.span,
          `the \`${old.key}\` of the \`default\` lookup is how configurations before ${VERSIONS.configGetAdded} read the server's ${old.key}; it is \`${old.replacement}\` since ${VERSIONS.registry}`,
          fix(node.span, old.replacement),
        );
      });
    }
  },
};
