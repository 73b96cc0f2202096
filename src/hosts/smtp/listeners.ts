/**
 * Which listener a port is: its name (the `listener` variable) and the port the
 * expressions see as `local_port`. A host bound to port 2587 in front of a NAT that
 * forwards 587 says `2587 = submission:587`, and the defaults behave as in production.
 */

export interface Listener {
  name: string;
  /** The port the expressions see as `local_port`. */
  port: number;
}

/** The listener a port is unless configured: 587 submission, 465 submissions, otherwise smtp. */
export function defaultListener(port: number): Listener {
  return { name: port === 587 ? 'submission' : port === 465 ? 'submissions' : 'smtp', port };
}

/** Reads `NAME` or `NAME:PORT` for the bound port `bound`; null when it is neither. */
export function parseListener(text: string, bound: number): Listener | null {
  const m = /^([A-Za-z0-9_.-]+)(?::([0-9]{1,5}))?$/.exec(text.trim());
  if (!m) return null;
  const port = m[2] === undefined ? bound : Number(m[2]);
  return port >= 1 && port <= 65535 ? { name: m[1]!, port } : null;
}
