/**
 * `'noreply@%{env:DOMAIN}%'`, `'${sender_domain}'`: a configuration file macro or a template
 * placeholder inside a string. Nothing expands it: the string holds those characters.
 */
import { macroAt, macroMessage, macroReplacement } from '../../check/hints.js';
import { quote } from '../../syntax/printer.js';
import type { LintRule } from '../rule.js';
import { fix, fitted, isString, walk } from '../walk.js';

export const unexpandedMacro: LintRule = {
  code: 'unexpanded-macro',
  summary: 'a `%{env:…}%` macro or a `${…}` placeholder inside a string: nothing expands it',
  run(ctx) {
    for (const part of ctx.parts) {
      walk(part.tree, (node, ancestors) => {
        if (!isString(node)) return;
        const value: string = node.value;
        const macros = [...value.matchAll(/[%$]\{/g)].map((m) => macroAt(value, m.index)).filter((m) => m !== undefined);
        const macro = macros[0];
        if (!macro) return;
        const replacement = macros.length === 1 ? macroReplacement(macro, ctx.variables) : undefined;
        const start = node.span.start + 1 + macro.span.start;
        const before = value.slice(0, macro.span.start);
        const after = value.slice(macro.span.end);
        const joined = replacement === undefined ? undefined : [before ? quote(before) : '', replacement, after ? quote(after) : ''].filter(Boolean).join(' + ');
        ctx.report(
          part,
          { start, end: start + macro.text.length },
          `${macroMessage(macro)}; in a string it stays as written`,
          joined === undefined ? undefined : fix(node.span, fitted(joined, 6, ancestors, node, part.source)),
        );
      });
    }
  },
};
