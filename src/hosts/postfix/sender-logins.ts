/**
 * Who may send as whom, read from a file in the source format of Postfix's
 * smtpd_sender_login_maps (the file an operator already keeps for
 * reject_sender_login_mismatch): one `address owner[, owner…]` per line, `#` comments,
 * a line starting with white space continues the previous one; `@example.org` as the
 * address stands for the whole domain.
 */

/** A line of the file that cannot be read: names the file and the line. */
export class SenderLoginsError extends Error {
  override readonly name = 'SenderLoginsError';
}

/** The addresses each owner (lower-cased SASL username) may send as. */
export function parseSenderLogins(text: string, file: string): Map<string, string[]> {
  const logical: Array<{ line: number; text: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*(#|$)/.test(raw)) return;
    const last = logical[logical.length - 1];
    if (/^\s/.test(raw) && last !== undefined) last.text += ` ${raw.trim()}`;
    else logical.push({ line: i + 1, text: raw.trim() });
  });
  const owners = new Map<string, string[]>();
  for (const { line, text: entry } of logical) {
    const m = /^(\S+)\s+(.+)$/.exec(entry);
    const address = m?.[1] ?? '';
    const list = (m?.[2] ?? '').split(/[\s,]+/).filter((o) => o !== '');
    if (!/^[^\s@]*@[^\s@]+$/.test(address) || list.length === 0) {
      throw new SenderLoginsError(`${file}:${line}: expected \`address owner[, owner…]\`, not \`${entry.slice(0, 80)}\``);
    }
    for (const owner of list) {
      const key = owner.toLowerCase();
      owners.set(key, [...(owners.get(key) ?? []), address]);
    }
  }
  return owners;
}
