/** E-mail functions (SPEC §10, "E-mail"). */
import { toStr, type Value } from '../runtime/values.js';
import { elementwise, trimText } from './text.js';
import { bool, PREDICATE, PURE, type FunctionSpec } from './types.js';

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]$/u;

function isAtext(ch: string): boolean {
  return ATEXT.test(ch);
}

/**
 * Dot-separated non-empty runs of allowed characters. A local part (`trailingDot`) may end
 * with a dot (SPEC §10 forbids only `..` and a dot at its start); a domain may not.
 */
function isDotAtom(s: string, allowed: (ch: string) => boolean, trailingDot = false): boolean {
  if (s.length === 0) return false;
  const labels = s.split('.');
  const last = trailingDot && labels.length > 1 && labels[labels.length - 1] === '' ? labels.length - 1 : labels.length;
  for (let i = 0; i < last; i++) {
    const label = labels[i]!;
    if (label.length === 0) return false;
    for (const ch of label) if (!allowed(ch)) return false;
  }
  return true;
}

function isQuotedLocal(s: string): boolean {
  if (s.length < 3 || s[0] !== '"' || s[s.length - 1] !== '"') return false;
  const inner = s.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\') {
      i++;
      if (i >= inner.length) return false;
      continue;
    }
    if (ch === '"') return false;
    if (!(isAtext(ch) || ch === '.' || ch === ' ' || ch === '>' || ch === ':' || ch === ',' || ch === '@')) return false;
  }
  return true;
}

export function isEmail(s: string): boolean {
  // Exactly one `@` outside quotes.
  let at = -1;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === '@' && !quoted) {
      if (at >= 0) return false;
      at = i;
    }
  }
  if (at <= 0 || quoted) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  const localOk = local[0] === '"' ? isQuotedLocal(local) : isDotAtom(local, isAtext, true);
  return localOk && domain.includes('.') && isDotAtom(domain, isAtext);
}

function emailPart(v: Value, part: Value): Value {
  const which = toStr(part);
  return elementwise(v, (s) => {
    const at = s.lastIndexOf('@');
    if (at < 0) return '';
    if (which === 'local') return trimText(s.slice(0, at), true, true);
    if (which === 'domain') return trimText(s.slice(at + 1), true, true);
    return '';
  });
}

export const EMAIL_FUNCTIONS: FunctionSpec[] = [
  { name: 'is_email', arity: 1, ...PREDICATE, fn: (v) => bool(isEmail(toStr(v))) },
  { name: 'email_part', arity: 2, ...PURE, builds: 'mapped', fn: emailPart },
];
