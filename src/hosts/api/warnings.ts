/**
 * The lint warnings of a successful `/set` answer, read back: by id, then by field, each in
 * the shape of the language's `diagnosticJson`. One reader for the client commands and the
 * web page (which bundles it: no Node built-in here). What is not of that shape is left out.
 */
import { isObject } from '../json.js';

/** A lint warning as a `/set` answer carries it. */
export interface SetWarning {
  code: string;
  severity: string;
  /** What is wrong, with its position (`(then of condition 1, line 1, column 1)`). */
  message: string;
  line: number;
  /** The source line with the caret under the span. */
  snippet: string;
  fix?: { replacement: string; description: string };
}

function warning(w: unknown): SetWarning | null {
  if (!isObject(w) || typeof w.code !== 'string' || typeof w.severity !== 'string' || typeof w.message !== 'string' || typeof w.line !== 'number' || typeof w.snippet !== 'string') return null;
  const fix = isObject(w.fix) && typeof w.fix.replacement === 'string' && typeof w.fix.description === 'string' ? { replacement: w.fix.replacement, description: w.fix.description } : undefined;
  return { code: w.code, severity: w.severity, message: w.message, line: w.line, snippet: w.snippet, ...(fix ? { fix } : {}) };
}

/** The warnings a `/set` answer gives for one id, by field (none: an empty object). */
export function setWarnings(result: Record<string, unknown>, id: string): Record<string, SetWarning[]> {
  const byId = isObject(result.warnings) ? result.warnings[id] : undefined;
  if (!isObject(byId)) return {};
  const out: Record<string, SetWarning[]> = {};
  for (const [field, list] of Object.entries(byId)) {
    const found = (Array.isArray(list) ? list : []).map(warning).filter((w): w is SetWarning => w !== null);
    if (found.length > 0) out[field] = found;
  }
  return out;
}
