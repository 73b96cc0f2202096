/** The servers' log (src/hosts/log.ts): the text line as it always was, or one JSON object a line. */
import { describe, expect, it } from 'vitest';
import { createLog, logFormat } from '../../src/hosts/log.js';

const sink = () => {
  const lines: string[] = [];
  return { lines, write: (t: string) => lines.push(t) };
};
const at = () => new Date('2026-12-02T00:00:00.000Z');

describe('createLog', () => {
  it('writes `component: message` in the text form, whatever the fields', () => {
    const out = sink();
    const log = createLog(out);
    log.event('smtp', 'auth-failed', 'authentication failed from 192.0.2.1', { remote_ip: '192.0.2.1' }, 'warn');
    log.lines.write('lookups: store rate (redis) unreachable\n');
    expect(out.lines).toEqual(['smtp: authentication failed from 192.0.2.1\n', 'lookups: store rate (redis) unreachable\n']);
  });

  it('writes one JSON object a line in the JSON form; its own keys cannot be overwritten by fields', () => {
    const out = sink();
    const log = createLog(out, 'json', at);
    log.event('smtp', 'auth-ban', 'banned 192.0.2.1', { remote_ip: '192.0.2.1', level: 'forged', msg: 'forged', to: ['a@b.c'], none: undefined }, 'warn');
    expect(out.lines.map((l) => JSON.parse(l))).toEqual([{ time: '2026-12-02T00:00:00.000Z', level: 'warn', component: 'smtp', event: 'auth-ban', msg: 'banned 192.0.2.1', remote_ip: '192.0.2.1', to: ['a@b.c'] }]);
    expect(out.lines[0]!.endsWith('}\n')).toBe(true);
  });

  it('turns text lines into events, across partial writes, a message with a newline staying one line', () => {
    const out = sink();
    const log = createLog(out, 'json', at);
    log.lines.write('lookups: store rate ');
    log.lines.write('unreachable\nwarning: no tokens\nerror: disk full\nplain text\n\n');
    log.event('policy', 'field-error', 'two\nlines');
    const events = out.lines.map((l) => JSON.parse(l));
    expect(events.map((e) => [e.component, e.level, e.msg])).toEqual([
      ['lookups', 'info', 'store rate unreachable'],
      ['mta-expr', 'warn', 'no tokens'],
      ['mta-expr', 'error', 'disk full'],
      ['mta-expr', 'info', 'plain text'],
      ['policy', 'info', 'two\nlines'],
    ]);
    expect(out.lines.every((l) => l.indexOf('\n') === l.length - 1)).toBe(true);
  });

  it('reads --log-format', () => {
    expect([logFormat(undefined), logFormat('text'), logFormat('json'), logFormat('xml')]).toEqual(['text', 'text', 'json', null]);
  });
});
