/**
 * The flags of where accepted mail goes and of the SMTP limits: in the usage of `smtp` and
 * `serve` (usage.ts), told apart from the API's flags by `serve` (server-commands.ts), read
 * by smtp-options.ts. A module of their own, so the command table and the commands it loads
 * do not import each other.
 */
import type { Flag } from './io.js';

export const DELIVERY_FLAGS: Readonly<Record<string, Flag>> = {
  spool: { type: 'string', value: 'DIR', description: 'write accepted messages into the Maildir DIR (tmp/, then renamed into new/)' },
  relay: { type: 'string', value: 'HOST:PORT', description: 'relay accepted messages to an SMTP server; 250 once it accepted' },
  discard: { type: 'boolean', description: 'drop accepted messages (without --spool, --relay or --discard, DATA is answered 451)' },
  'max-message-size': { type: 'string', value: 'BYTES', description: 'largest message, advertised as SIZE (default 26214400, 25 MiB)' },
  'max-connections': { type: 'string', value: 'N', description: 'connections open at once (default 1024)' },
  'max-connections-per-ip': { type: 'string', value: 'N', description: 'connections open at once from one address (default 50)' },
  'max-messages': { type: 'string', value: 'N', description: 'messages in one session (default 10)' },
  'max-recipients': { type: 'string', value: 'N', description: 'recipients of one message (default 100)' },
  'max-helo-length': { type: 'string', value: 'BYTES', description: 'longest EHLO/HELO argument (default 255)' },
  'auth-ban': { type: 'string', value: 'N/PERIOD', description: "ban an address or a login after N failed AUTH within PERIOD (default 100/1d; 'off': never)" },
  'auth-ban-time': { type: 'string', value: 'DURATION', description: 'how long a ban lasts (default 1d)' },
  'bearer-needs-tls': { type: 'boolean', description: 'offer and accept OAUTHBEARER and XOAUTH2 after STARTTLS only' },
  'stage-timeout': { type: 'string', value: 'DURATION', description: "longest an SMTP stage's evaluation may take, lookups included (default 15s); past it 421/451" },
};
