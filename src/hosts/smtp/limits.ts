/**
 * The limits of the SMTP server that hold across connections: how many connections a client
 * address may have open, and the failed authentications of an address and of a login,
 * counted over a window, with a temporary ban once a threshold is passed (the reference bans
 * an address after 100 failures a day: `auth-ban = [100, 1d]`).
 */

export interface SmtpLimits {
  /** Largest message in bytes, advertised as SIZE (default 25 MiB). */
  maxMessageSize: number;
  /** Connections open at once, in total (default 1024; 0: no limit, as for every count here). */
  maxConnections: number;
  /** Connections open at once from one client address (default 50). */
  maxConnectionsPerIp: number;
  /** Messages in one session (default 100). */
  maxMessagesPerSession: number;
  /** Recipients of one message (default 100). */
  maxRecipients: number;
  /** Longest EHLO/HELO argument in bytes (RFC 5321: a domain has at most 255). */
  maxHeloLength: number;
  /** Failed authentications of one address or one login within `authBanWindow` before it is banned (default 100; 0: never). */
  authBanThreshold: number;
  /** The window failures are counted in, in ms (default 1 day). */
  authBanWindow: number;
  /** How long a ban lasts, in ms (default 1 day). */
  authBanDuration: number;
  /** Offer and accept OAUTHBEARER and XOAUTH2 on TLS sessions only (default false). */
  bearerNeedsTls: boolean;
  /** Longest a stage's evaluation (lookups included) may take before the stage fails with a 4xx, in ms (default 15 s). */
  stageTimeout: number;
  /** Idle time after which a client is disconnected, in ms (default 5 min, as RFC 5321 asks for at least). */
  idleTimeout: number;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * The defaults, in line with established servers: Postfix's `message_size_limit` is 10 MB
 * and Stalwart's 100 MB (25 MiB is the common value of providers); Postfix allows 50
 * connections per client (`smtpd_client_connection_count_limit`) and 1000 recipients
 * (`smtpd_recipient_limit`), Stalwart 100 recipients (`session.rcpt.max-recipients`);
 * Stalwart bans an address after 100 failed authentications a day.
 */
export const DEFAULT_SMTP_LIMITS: Readonly<SmtpLimits> = Object.freeze({
  maxMessageSize: 25 * 1024 * 1024,
  maxConnections: 1024,
  maxConnectionsPerIp: 50,
  maxMessagesPerSession: 100,
  maxRecipients: 100,
  maxHeloLength: 255,
  authBanThreshold: 100,
  authBanWindow: DAY,
  authBanDuration: DAY,
  bearerNeedsTls: false,
  stageTimeout: 15_000,
  idleTimeout: 5 * 60 * 1000,
});

/** Connections open per client address. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  /** Counts a connection in; false (and nothing counted) when the address has `max` open already. */
  enter(ip: string, max: number): boolean {
    const n = this.open.get(ip) ?? 0;
    if (max > 0 && n >= max) return false;
    this.open.set(ip, n + 1);
    return true;
  }

  leave(ip: string): void {
    const n = (this.open.get(ip) ?? 1) - 1;
    if (n <= 0) this.open.delete(ip);
    else this.open.set(ip, n);
  }

  count(ip: string): number {
    return this.open.get(ip) ?? 0;
  }
}

interface Tally {
  failures: number[];
  bannedUntil: number;
}

/** What a failure did: the count in the window, and whether it started a ban. */
export interface FailureOutcome {
  failures: number;
  banned: boolean;
}

/**
 * Failed authentications by key (a client address, or `login:NAME`), over a sliding window.
 * At most `maxKeys` keys are kept (the oldest forgotten first), so a flood of addresses
 * cannot grow it without bound; a banned key is kept for its ban.
 */
export class FailureBans {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly limits: Pick<SmtpLimits, 'authBanThreshold' | 'authBanWindow' | 'authBanDuration'>,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** The time the ban of `key` ends, or 0 when it is not banned. */
  bannedUntil(key: string): number {
    const t = this.tallies.get(key);
    if (t === undefined) return 0;
    if (t.bannedUntil > this.now()) return t.bannedUntil;
    if (t.bannedUntil !== 0) this.tallies.delete(key);
    return 0;
  }

  /** Counts a failure of `key`; once there are `authBanThreshold` in the window, the key is banned. */
  fail(key: string): FailureOutcome {
    const { authBanThreshold, authBanWindow, authBanDuration } = this.limits;
    const now = this.now();
    let t = this.tallies.get(key);
    if (t === undefined) {
      if (this.tallies.size >= this.maxKeys) this.forgetOldest();
      t = { failures: [], bannedUntil: 0 };
      this.tallies.set(key, t);
    }
    t.failures.push(now);
    while (t.failures.length > 0 && t.failures[0]! <= now - authBanWindow) t.failures.shift();
    const failures = t.failures.length;
    if (authBanThreshold > 0 && failures >= authBanThreshold && t.bannedUntil <= now) {
      t.bannedUntil = now + authBanDuration;
      t.failures = [];
      return { failures, banned: true };
    }
    // Only the failures that can still count are kept.
    if (t.failures.length > authBanThreshold) t.failures.splice(0, t.failures.length - authBanThreshold);
    return { failures, banned: false };
  }

  private forgetOldest(): void {
    for (const [key, t] of this.tallies) {
      if (t.bannedUntil > this.now()) continue;
      this.tallies.delete(key);
      return;
    }
    const first = this.tallies.keys().next();
    if (!first.done) this.tallies.delete(first.value);
  }
}
