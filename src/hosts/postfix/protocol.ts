/**
 * Postfix's SMTPD access policy delegation protocol (SMTPD_POLICY_README): a request is
 * `name=value` lines ended by an empty line; the answer is one `action=…` line and an
 * empty line. A connection carries any number of requests, one after the other.
 *
 * The reader frames a byte stream into requests. A request that breaks the protocol (a
 * line without `=`, an empty or repeated name, a line or a request too long, no
 * `request=smtpd_access_policy`) is reported as malformed with the reason; the reader then
 * continues with the next request, so one bad request costs one answer, not the connection.
 */

export const LIMITS = {
  /** Longest attribute line, in bytes (Postfix's own lines are far shorter). */
  maxLineBytes: 8192,
  /** Most attributes in one request. */
  maxAttributes: 256,
};

export type Attributes = ReadonlyMap<string, string>;

export type Framed = { ok: true; attributes: Attributes } | { ok: false; reason: string };

/** Splits a stream into requests; feed it chunks, it returns the requests they complete. */
export class RequestReader {
  private pending: Buffer = Buffer.alloc(0);
  private attributes = new Map<string, string>();
  private fault: string | null = null;
  /** Discarding the rest of an over-long line. */
  private skipping = false;

  push(chunk: Buffer): Framed[] {
    const out: Framed[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl < 0) {
        if (data.length > LIMITS.maxLineBytes) {
          this.malformed(`a line is longer than ${LIMITS.maxLineBytes} bytes`);
          this.skipping = true;
          data = Buffer.alloc(0);
        }
        break;
      }
      const line = data.subarray(0, nl);
      data = data.subarray(nl + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const done = this.line(line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line);
      if (done) out.push(done);
    }
    this.pending = Buffer.from(data);
    return out;
  }

  private malformed(reason: string): void {
    this.fault ??= reason;
  }

  private line(raw: Buffer): Framed | null {
    if (raw.length === 0) return this.end();
    if (raw.length > LIMITS.maxLineBytes) {
      this.malformed(`a line is longer than ${LIMITS.maxLineBytes} bytes`);
      return null;
    }
    const text = raw.toString('utf8');
    const eq = text.indexOf('=');
    if (eq < 0) this.malformed(`the line ${JSON.stringify(text.slice(0, 80))} has no '='`);
    else if (eq === 0) this.malformed(`the line ${JSON.stringify(text.slice(0, 80))} has no attribute name`);
    else if (this.attributes.has(text.slice(0, eq))) this.malformed(`the attribute ${text.slice(0, eq)} is given twice`);
    else if (this.attributes.size >= LIMITS.maxAttributes) this.malformed(`more than ${LIMITS.maxAttributes} attributes`);
    else this.attributes.set(text.slice(0, eq), text.slice(eq + 1));
    return null;
  }

  private end(): Framed | null {
    const attributes = this.attributes;
    const fault = this.fault;
    this.attributes = new Map();
    this.fault = null;
    if (fault === null && attributes.size === 0) return null; // a stray empty line between requests
    if (fault !== null) return { ok: false, reason: fault };
    const request = attributes.get('request');
    if (request !== 'smtpd_access_policy') {
      return { ok: false, reason: request === undefined ? 'no request attribute' : `request=${request} is not smtpd_access_policy` };
    }
    return { ok: true, attributes };
  }
}

/** The answer line of an action (one line: CR and LF are replaced by spaces). */
export function answer(action: string): string {
  return `action=${action.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/**
 * Whether a string is an action Postfix accepts from a policy service (access(5)): an
 * action word with optional text, a 4NN or 5NN reply, or the name of a restriction.
 */
export function isPostfixAction(action: string): boolean {
  const word = /^\S+/.exec(action)?.[0] ?? '';
  if (/^[45][0-9][0-9]$/.test(word)) return /^[45][0-9][0-9] \S/.test(action);
  if (/^(OK|DUNNO|REJECT|DEFER|DEFER_IF_REJECT|DEFER_IF_PERMIT|DISCARD|HOLD|INFO|WARN)$/i.test(word)) return true;
  if (/^(BCC|FILTER|PREPEND|REDIRECT)$/i.test(word)) return /^\S+ \S/.test(action);
  return /^(permit|reject|defer|warn_if_reject|check)(_[a-z0-9_]+)?$/.test(word) && !/\s/.test(action.trim());
}
