/**
 * dns_query through Node's resolver against a DNS server on loopback: each record type,
 * NXDOMAIN and empty answers (cached), TTLs honoured, a server that does not answer (a
 * bounded timeout, an EvaluationError `lookup`), truncated UDP answers completed over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, EvaluationError } from '../../src/language/index.js';
import { DnsLookup, dnsSettings, StoreLookups } from '../../src/hosts/index.js';
import { SettingsError } from '../../src/hosts/json.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';

const LONG_TXT = Array.from({ length: 12 }, (_, i) => `piece-${i}-${'x'.repeat(200)}`);

let server: DnsServer;
beforeAll(async () => {
  server = await startDnsServer({
    zone: {
      'mx.example.org': [
        { type: 'A', data: '192.0.2.10', ttl: 60 },
        { type: 'A', data: '192.0.2.11', ttl: 30 },
        { type: 'AAAA', data: '2001:db8::10' },
      ],
      'example.org': [
        { type: 'MX', data: { preference: 20, exchange: 'backup.example.org' } },
        { type: 'MX', data: { preference: 10, exchange: 'mx.example.org' } },
        { type: 'TXT', data: ['v=spf1 ', 'mx -all'] },
      ],
      '10.2.0.192.in-addr.arpa': [{ type: 'PTR', data: 'mx.example.org' }],
      '2.0.0.127.zen.example.net': [{ type: 'A', data: '127.0.0.2', ttl: 900 }],
      'short.example.org': [{ type: 'A', data: '192.0.2.99', ttl: 1 }],
      'big.example.org': [{ type: 'TXT', data: LONG_TXT }],
    },
    silent: ['slow.example.org'],
    truncated: ['big.example.org'],
  });
});
afterAll(async () => {
  await server.stop();
});

const lookups = (extra: object = {}): StoreLookups => new StoreLookups({ stores: {}, directory: {}, dns: dnsSettings({ servers: [server.address], timeout: '600ms', tries: 1, ...extra }) });

async function query(l: StoreLookups, expr: string): Promise<unknown> {
  return compile(expr).evaluateAsync({}, { lookups: l });
}

describe('dns_query on a DNS server on loopback', () => {
  it('answers every record type of SPEC §10', async () => {
    const l = lookups();
    expect(await query(l, "dns_query('mx.example.org', 'ipv4')")).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(await query(l, "dns_query('mx.example.org', 'ipv6')")).toEqual(['2001:db8::10']);
    expect(await query(l, "dns_query('mx.example.org', 'ip')")).toEqual(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
    expect(await query(l, "dns_query('example.org', 'mx')")).toEqual(['mx.example.org', 'backup.example.org']);
    expect(await query(l, "dns_query('example.org', 'txt')")).toBe('v=spf1 mx -all');
    expect(await query(l, "dns_query('192.0.2.10', 'ptr')")).toEqual(['mx.example.org']);
    expect(await query(l, "dns_query('not-an-ip', 'ptr')")).toBe('');
    expect(await query(l, "dns_query('example.org', 'srv')")).toBe('');
    // A DNSBL check as policies write it.
    expect(await query(l, "!is_empty(dns_query(ip_reverse_name('127.0.0.2') + '.zen.example.net', 'ipv4'))")).toBe(1);
    expect(await query(l, "!is_empty(dns_query(ip_reverse_name('127.0.0.3') + '.zen.example.net', 'ipv4'))")).toBe(0);
    await l.close();
  });

  it('NXDOMAIN and empty answers are empty results, cached like answers', async () => {
    const l = lookups();
    const before = server.count('A nowhere.example.org');
    expect(await query(l, "dns_query('nowhere.example.org', 'ipv4')")).toEqual([]);
    expect(await query(l, "dns_query('nowhere.example.org', 'ipv4')")).toEqual([]);
    expect(server.count('A nowhere.example.org') - before).toBe(1);
    const txt = server.count('TXT mx.example.org');
    expect(await query(l, "dns_query('mx.example.org', 'txt')")).toBe('');
    expect(await query(l, "dns_query('mx.example.org', 'txt')")).toBe('');
    expect(server.count('TXT mx.example.org') - txt).toBe(1);
    await l.close();
  });

  it('keeps an answer for its TTL (the shortest of the records) and asks again after it', async () => {
    let now = 1_000_000;
    const dns = new DnsLookup({ servers: [server.address], timeout: 600, tries: 1 }, () => now);
    const count = (): number => server.count('A mx.example.org');
    const start = count();
    expect(await dns.resolve('mx.example.org', 'A')).toEqual(['192.0.2.10', '192.0.2.11']);
    now += 29_000;
    await dns.resolve('MX.example.org', 'A');
    expect(count() - start).toBe(1);
    now += 2_000; // past the 30 s of the shorter record
    await dns.resolve('mx.example.org', 'A');
    expect(count() - start).toBe(2);
    expect(dns.stats()).toMatchObject({ hits: 1, misses: 2 });
    // Negative answers expire after negativeTtl.
    const neg = new DnsLookup({ servers: [server.address], timeout: 600, tries: 1, negativeTtl: 5_000 }, () => now);
    const n0 = server.count('A gone.example.org');
    await expect(neg.resolve('gone.example.org', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    now += 4_000;
    await expect(neg.resolve('gone.example.org', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(server.count('A gone.example.org') - n0).toBe(1);
    now += 2_000;
    await expect(neg.resolve('gone.example.org', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(server.count('A gone.example.org') - n0).toBe(2);
    dns.close();
    neg.close();
  });

  it('asks once for concurrent lookups of the same name', async () => {
    const dns = new DnsLookup({ servers: [server.address], timeout: 600, tries: 1 });
    const before = server.count('A short.example.org');
    const answers = await Promise.all(Array.from({ length: 20 }, () => dns.resolve('short.example.org', 'A')));
    expect(answers.every((a) => a[0] === '192.0.2.99')).toBe(true);
    expect(server.count('A short.example.org') - before).toBe(1);
    dns.close();
  });

  it('a server that does not answer fails the lookup within the timeout, not cached, as an EvaluationError `lookup`', async () => {
    const l = lookups();
    const start = Date.now();
    const err = await query(l, "dns_query('slow.example.org', 'ipv4')").catch((e: unknown) => e);
    const ms = Date.now() - start;
    expect(err).toBeInstanceOf(EvaluationError);
    expect((err as EvaluationError).code).toBe('lookup');
    expect((err as EvaluationError).functionName).toBe('dns_query');
    expect((err as Error).message).toMatch(/^dns_query: A slow\.example\.org: /);
    expect(ms).toBeLessThan(2_000);
    const before = server.count('A slow.example.org');
    await query(l, "dns_query('slow.example.org', 'ipv4')").catch(() => undefined);
    expect(server.count('A slow.example.org')).toBeGreaterThan(before);
    expect(l.status().find((s) => s.name === 'dns')).toMatchObject({ ok: false });
    await query(l, "dns_query('mx.example.org', 'ipv4')");
    expect(l.status().find((s) => s.name === 'dns')).toMatchObject({ ok: true });
    await l.close();
  });

  it('a truncated UDP answer is asked again over TCP and answered in full', async () => {
    const l = lookups();
    expect(await query(l, "dns_query('big.example.org', 'txt')")).toBe(LONG_TXT.join(''));
    expect(server.queries.filter((q) => q.q === 'TXT big.example.org').map((q) => q.tcp)).toEqual([false, true]);
    await l.close();
  });

  it('refuses bad settings with their path', () => {
    expect(() => dnsSettings({ servers: ['not an address'] })).toThrow(SettingsError);
    expect(() => dnsSettings({ servers: ['not an address'] })).toThrow(/^dns\.servers: /);
    expect(() => dnsSettings({ timeout: 'soon' })).toThrow("dns.timeout: must be a duration such as '500ms', '2s' or '1m'");
    expect(() => dnsSettings({ tries: 0 })).toThrow('dns.tries: must be a whole number from 1 to 10');
    expect(() => dnsSettings({ timeuot: '1s' })).toThrow(/^dns\.timeuot: unknown setting/);
    expect(dnsSettings({ negativeTtl: '0s', recordTtl: 0 })).toMatchObject({ negativeTtl: 0, recordTtl: 0, timeout: 5000 });
  });
});
