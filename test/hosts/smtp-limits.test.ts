/** The cross-connection limits of the SMTP server (src/hosts/smtp/limits.ts), on a clock of the test's own. */
import { describe, expect, it } from 'vitest';
import { ConnectionCounter, FailureBans } from '../../src/hosts/smtp/limits.js';

const MINUTE = 60_000;

describe('FailureBans', () => {
  it('bans a key at the threshold within the window, for the ban time, and counts afresh after', () => {
    let now = 0;
    const bans = new FailureBans({ authBanThreshold: 3, authBanWindow: 10 * MINUTE, authBanDuration: 30 * MINUTE }, () => now);
    expect(bans.fail('192.0.2.1')).toEqual({ failures: 1, banned: false });
    now += MINUTE;
    expect(bans.fail('192.0.2.1')).toEqual({ failures: 2, banned: false });
    expect(bans.bannedUntil('192.0.2.1')).toBe(0);
    now += MINUTE;
    expect(bans.fail('192.0.2.1')).toEqual({ failures: 3, banned: true });
    expect(bans.bannedUntil('192.0.2.1')).toBe(now + 30 * MINUTE);
    expect(bans.bannedUntil('192.0.2.2')).toBe(0);
    now += 30 * MINUTE;
    expect(bans.bannedUntil('192.0.2.1')).toBe(0);
    expect(bans.fail('192.0.2.1')).toEqual({ failures: 1, banned: false });
  });

  it('forgets failures older than the window', () => {
    let now = 0;
    const bans = new FailureBans({ authBanThreshold: 3, authBanWindow: 10 * MINUTE, authBanDuration: MINUTE }, () => now);
    bans.fail('k');
    bans.fail('k');
    now += 11 * MINUTE;
    expect(bans.fail('k')).toEqual({ failures: 1, banned: false });
  });

  it('never bans with a threshold of 0, and keeps at most maxKeys keys, bans first', () => {
    const off = new FailureBans({ authBanThreshold: 0, authBanWindow: MINUTE, authBanDuration: MINUTE });
    for (let i = 0; i < 500; i++) expect(off.fail('k').banned).toBe(false);
    const small = new FailureBans({ authBanThreshold: 2, authBanWindow: MINUTE, authBanDuration: MINUTE }, () => 0, 3);
    small.fail('x');
    expect(small.fail('x').banned).toBe(true);
    for (const k of ['a', 'b', 'c', 'd', 'e']) small.fail(k);
    // The oldest keys not banned were forgotten ('a' counts from 1 again); the ban was kept.
    expect(small.fail('a')).toEqual({ failures: 1, banned: false });
    expect(small.bannedUntil('x')).toBe(MINUTE);
  });
});

describe('ConnectionCounter', () => {
  it('admits up to the limit per address (0: no limit) and frees a place on leave', () => {
    const c = new ConnectionCounter();
    expect([c.enter('a', 2), c.enter('a', 2), c.enter('a', 2), c.enter('b', 2)]).toEqual([true, true, false, true]);
    c.leave('a');
    expect(c.enter('a', 2)).toBe(true);
    expect(c.count('a')).toBe(2);
    for (let i = 0; i < 100; i++) expect(c.enter('z', 0)).toBe(true);
  });
});
