/**
 * The configuration schema: objects of expression fields, each with its type, context and
 * default. Everything else (validation, typed evaluation, the session policy, the API)
 * is derived from this data: adding an object of the reference schema means adding an
 * entry here, not code.
 */
import type { BlockInput } from '../block.js';

/**
 * How a field's value is read (SPEC §11, §13):
 * - `integer`: an integer;
 * - `duration`: milliseconds > 0 (an integer or a duration);
 * - `boolean`: truthiness;
 * - `string`: a string;
 * - `optionalString`: a string, or none when the value is not a string (`false`);
 * - `constantList`: a list of the field's constants; `false`, `''` and `[]` are the empty list.
 */
export type FieldType = 'integer' | 'duration' | 'boolean' | 'string' | 'optionalString' | 'constantList';

export interface FieldSchema {
  type: FieldType;
  description: string;
  /** Variable group the expressions are checked against (null: every known variable). */
  variables: string | null;
  /** Constant group (null: none). */
  constants: string | null;
  default: BlockInput;
  /** The value is sent on an SMTP line: CR and LF are refused. */
  smtpLine?: boolean;
}

export interface ObjectSchema {
  description: string;
  /** Where administrators find it. */
  location: string;
  /** Singletons have exactly one instance, with the id `singleton`. */
  singleton: boolean;
  fields: Readonly<Record<string, FieldSchema>>;
}

export const SCHEMA: Readonly<Record<string, ObjectSchema>> = {
  MtaStageAuth: {
    description: 'SMTP authentication: which SASL mechanisms are offered, whether AUTH is required, and how failures are handled.',
    location: 'Settings › MTA › Session › AUTH Stage',
    singleton: true,
    fields: {
      maxFailures: {
        type: 'integer',
        description: 'Authentication errors allowed before the session is disconnected.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: '3' },
      },
      waitOnFail: {
        type: 'duration',
        description: 'How long to wait after an authentication failure.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: '5s' },
      },
      saslMechanisms: {
        type: 'constantList',
        description: 'SASL mechanisms offered; the empty list disables AUTH.',
        variables: 'MtaEhloVariable',
        constants: 'MtaAuthTypeConstant',
        default: {
          match: [
            { if: 'local_port != 25 && is_tls', then: '[plain, login, oauthbearer, xoauth2]' },
            { if: 'local_port != 25', then: '[oauthbearer, xoauth2]' },
          ],
          else: 'false',
        },
      },
      mustMatchSender: {
        type: 'boolean',
        description: 'The authenticated user, or one of their addresses, must match the MAIL FROM sender.',
        variables: 'MtaMailFromVariable',
        constants: null,
        default: { match: [], else: 'true' },
      },
      require: {
        type: 'boolean',
        description: 'Authentication is necessary to send.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: 'local_port != 25' },
      },
    },
  },
  MtaStageConnect: {
    description: 'The greeting and hostname of the SMTP/LMTP server, and the script run when a client connects.',
    location: 'Settings › MTA › Session › Connect Stage',
    singleton: true,
    fields: {
      smtpGreeting: {
        type: 'string',
        description: 'The greeting sent by the SMTP/LMTP server.',
        variables: 'MtaConnectionVariable',
        constants: null,
        default: { match: [], else: "system('hostname') + ' Stalwart ESMTP at your service'" },
        smtpLine: true,
      },
      hostname: {
        type: 'string',
        description: 'The SMTP server hostname.',
        variables: 'MtaConnectionVariable',
        constants: null,
        default: { match: [], else: "system('hostname')" },
        smtpLine: true,
      },
      script: {
        type: 'optionalString',
        description: 'The Sieve script to run when a client connects (false: none).',
        variables: 'MtaConnectionVariable',
        constants: null,
        default: { match: [], else: 'false' },
      },
    },
  },
};
