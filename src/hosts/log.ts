/**
 * The servers' log: one line per event on stderr. The text form (the default) is the line
 * the servers always printed, `component: what happened`; with `--log-format json` each
 * event is one JSON object on one line, `{"time", "level", "component", "event", "msg",
 * …fields}`, the client's address as `remote_ip` (what fail2ban-style tools match on).
 *
 *   const log = createLog(process.stderr, 'json');
 *   log.event('smtp', 'auth-failed', 'authentication failed for "jane" from 192.0.2.1', { remote_ip: '192.0.2.1' }, 'warn');
 *
 * Code that writes text lines (`lookups: store rate unreachable: …`) writes to `log.lines`,
 * which passes them on as they are in the text form and turns each into an event (its
 * component, the rest as the message) in the JSON form.
 */

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type LogLevel = 'info' | 'warn' | 'error';

/** Extra fields of an event (JSON form only; the text form prints the message). */
export type LogFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export interface LogSink {
  write(text: string): unknown;
}

export interface Log {
  readonly format: LogFormat;
  /**
   * One event. `component` names the part (`smtp`, `api`, `config`, `lookups`, `policy`),
   * `event` what happened (`auth-failed`, `reload`, …), `message` the text line.
   */
  event(component: string, event: string, message: string, fields?: LogFields, level?: LogLevel): void;
  /** A writer for text lines `component: message` (one event each). */
  readonly lines: LogSink;
}

/** The JSON fields an event may not set: they are the event's own. */
const RESERVED = new Set(['time', 'level', 'component', 'event', 'msg']);

/** A line's component, when it starts with `word: `. */
const PREFIX = /^([a-z][a-z0-9-]*): (.*)$/s;

export function createLog(sink: LogSink, format: LogFormat = 'text', now: () => Date = () => new Date()): Log {
  const event = (component: string, name: string, message: string, fields: LogFields = {}, level: LogLevel = 'info'): void => {
    if (format === 'text') {
      sink.write(`${component}: ${message}\n`);
      return;
    }
    const record: Record<string, unknown> = { time: now().toISOString(), level, component, event: name, msg: message };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && !RESERVED.has(k)) record[k] = v;
    sink.write(`${JSON.stringify(record)}\n`);
  };
  let partial = '';
  const lines: LogSink = {
    write(text: string) {
      if (format === 'text') return sink.write(text);
      const all = partial + text;
      const parts = all.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (line === '') continue;
        const m = PREFIX.exec(line);
        // `warning: …` and `error: …` are levels of the program's own lines, not components.
        if (m && (m[1] === 'warning' || m[1] === 'error')) event('mta-expr', 'line', m[2]!, {}, m[1] === 'error' ? 'error' : 'warn');
        else if (m) event(m[1]!, 'line', m[2]!, {});
        else event('mta-expr', 'line', line, {});
      }
      return true;
    },
  };
  return { format, event, lines };
}

/** Reads `--log-format`: `text` (default) or `json`; null for anything else. */
export function logFormat(text: string | undefined): LogFormat | null {
  if (text === undefined) return 'text';
  return (LOG_FORMATS as readonly string[]).includes(text) ? (text as LogFormat) : null;
}
