/** The Haraka plugin's settings (config/mta-expr.ini as haraka-config reads it): what is read, and each fault named. */
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/hosts/haraka/settings.js';

const read = (ini: Record<string, Record<string, string | number>>, env: NodeJS.ProcessEnv = {}) => readSettings(ini, env, '/etc/haraka/config');

describe('config/mta-expr.ini', () => {
  it('reads a file source, the listeners and the addresses', () => {
    const s = read({ main: { config: 'mta-expr.json', hostname: 'mx.example.org' }, listeners: { '2525': 'smtp:25', '587': 'submission' }, addresses: { 'Jane@example.org': 'j.doe@example.org, @sales.example.org' } });
    expect(s.source).toEqual({ kind: 'file', path: '/etc/haraka/config/mta-expr.json' });
    // The lookups: those of the file, unless `lookups` names another.
    expect(s.lookups).toBe('/etc/haraka/config/mta-expr.json');
    expect(read({ main: { config: 'mta-expr.json', lookups: '/etc/mta-expr/server.json' } }).lookups).toBe('/etc/mta-expr/server.json');
    expect(s.hostname).toBe('mx.example.org');
    expect(new Map(s.listeners)).toEqual(new Map([[2525, { name: 'smtp', port: 25 }], [587, { name: 'submission', port: 587 }]]));
    expect(s.addresses.get('jane@example.org')).toEqual(['j.doe@example.org', '@sales.example.org']);
  });

  it('reads the management API with its token from the file or the environment', () => {
    expect(read({ main: { url: 'http://127.0.0.1:8080', token: 't0k3n-for-haraka', refresh: 250 } }).source).toEqual({ kind: 'api', url: 'http://127.0.0.1:8080', token: 't0k3n-for-haraka', refreshMs: 250 });
    expect(read({ main: { url: 'http://127.0.0.1:8080' } }, { MTA_EXPR_TOKEN: 'from-env-token' }).source).toMatchObject({ token: 'from-env-token', refreshMs: 1000 });
    // No file: no lookups unless `lookups` names one (relative to config/).
    expect(read({ main: { url: 'http://127.0.0.1:8080', token: 't0k3n-for-haraka' } }).lookups).toBeUndefined();
    expect(read({ main: { url: 'http://127.0.0.1:8080', token: 't0k3n-for-haraka', lookups: 'stores.json' } }).lookups).toBe('/etc/haraka/config/stores.json');
  });

  it('names the section and key of each fault', () => {
    const faults: Array<[Record<string, Record<string, string | number>>, string]> = [
      [{ main: {} }, 'mta-expr.ini: [main] config: give config (a JSON file of field overrides) or url (the management API of mta-expr serve)'],
      [{ main: { config: 'a.json', url: 'http://x' } }, 'mta-expr.ini: [main] url: give either config (a file) or url (the management API), not both'],
      [{ main: { url: 'ftp://x' } }, 'mta-expr.ini: [main] url: `ftp://x` is not an http(s) URL'],
      [{ main: { url: 'http://x' } }, 'mta-expr.ini: [main] token: the management API needs a token'],
      [{ main: { url: 'http://x', token: 't', refresh: 'soon' } }, 'mta-expr.ini: [main] refresh: `soon` is not a number of milliseconds'],
      [{ main: { config: 'a.json', colour: 'blue' } }, 'mta-expr.ini: [main] colour: unknown setting'],
      [{ main: { config: 'a.json' }, listeners: { smtp: '25' } }, 'mta-expr.ini: [listeners] smtp: `smtp` is not a port number'],
      [{ main: { config: 'a.json' }, listeners: { '25': 'smtp:99999' } }, 'mta-expr.ini: [listeners] 25: expected NAME or NAME:PORT, not `smtp:99999`'],
      [{ main: { config: 'a.json' }, addresses: { jane: 'not an address' } }, 'mta-expr.ini: [addresses] jane: expected comma-separated addresses'],
    ];
    for (const [ini, message] of faults) expect(() => read(ini), message).toThrow(message);
  });
});
