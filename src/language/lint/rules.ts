/** The lint rules, one row each (one file each in rules/), in the order their findings are listed. */
import { alwaysEmpty } from './rules/always-empty.js';
import { ipAsText } from './rules/ip-as-text.js';
import { neverMatches } from './rules/never-matches.js';
import { orAsSet } from './rules/or-as-set.js';
import { orDefault } from './rules/or-default.js';
import { outdatedLookup } from './rules/outdated-lookup.js';
import { quotedVariable } from './rules/quoted-variable.js';
import { resultType } from './rules/result-type.js';
import { swappedMatches } from './rules/swapped-matches.js';
import { unescapedDot } from './rules/unescaped-dot.js';
import { unexpandedMacro } from './rules/unexpanded-macro.js';
import { unreachableCondition } from './rules/unreachable-condition.js';
import type { LintRule } from './rule.js';

export const LINT_RULES: readonly LintRule[] = [
  quotedVariable,
  swappedMatches,
  unreachableCondition,
  ipAsText,
  resultType,
  unescapedDot,
  neverMatches,
  orAsSet,
  orDefault,
  alwaysEmpty,
  outdatedLookup,
  unexpandedMacro,
];
