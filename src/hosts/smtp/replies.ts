/**
 * The replies of the reference server for the decisions of the session policy, so every
 * host built on the policy (the Haraka plugin, the Postfix policy service) answers a client
 * with the same code, enhanced status and text. `policyUnavailable` is ours: the reference
 * has no configuration that can be missing.
 */

export interface Reply {
  /** The SMTP reply code. */
  code: number;
  /** The enhanced status code (RFC 3463). */
  status: string;
  text: string;
}

export const REPLIES = {
  /** `require` and no AUTH yet, at MAIL FROM. */
  authRequired: { code: 503, status: '5.5.1', text: 'You must authenticate first.' },
  /** `mustMatchSender` and the sender is not the user's. */
  senderMismatch: { code: 501, status: '5.5.4', text: 'You are not allowed to send from this address.' },
  /** An AUTH with wrong credentials (after `waitOnFail`). */
  authFailed: { code: 535, status: '5.7.8', text: 'Authentication credentials invalid.' },
  /** The `maxFailures`-th failed AUTH: the session is closed. */
  tooManyFailures: { code: 421, status: '4.3.0', text: 'Too many authentication errors, disconnecting.' },
  authSucceeded: { code: 235, status: '2.7.0', text: 'Authentication succeeded.' },
  /** AUTH when `saslMechanisms` offers nothing on this session (or before EHLO). */
  authNotAllowed: { code: 503, status: '5.5.1', text: 'AUTH not allowed.' },
  alreadyAuthenticated: { code: 503, status: '5.5.1', text: 'Already authenticated.' },
  /** A mechanism that `saslMechanisms` does not offer on this session. */
  mechanismRefused: { code: 554, status: '5.7.8', text: 'Authentication mechanism not supported.' },
  /** A malformed SASL exchange (counts as a failure). */
  invalidChallenge: { code: 500, status: '5.5.6', text: 'Invalid challenge.' },
  /** The password check itself failed (the directory is unreachable). */
  authUnavailable: { code: 454, status: '4.7.0', text: 'Temporary authentication failure' },
  /** The policy could not be evaluated (an expression failed, no configuration yet). */
  policyUnavailable: { code: 451, status: '4.3.0', text: 'Temporary policy failure, try again later.' },
} as const satisfies Record<string, Reply>;

/** The text after the code: `5.5.1 You must authenticate first.`. */
export const replyText = (r: Reply): string => `${r.status} ${r.text}`;
