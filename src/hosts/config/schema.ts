/**
 * The configuration schema: objects of expression fields, each with its type, context,
 * default and last-resort fallback. Everything else (validation, typed evaluation, the
 * session policy, the API, the CLI) is derived from this data: adding an object of the
 * reference schema means adding an entry here, not code.
 */
import type { BlockInput, TypedValue, ValueType } from '../../language/index.js';
import { hasOwn } from '../json.js';

/** How a field's value is read (SPEC §11, §13): one of the language's typed readers. */
export type FieldType = ValueType;

export interface FieldSchema<T extends FieldType = FieldType> {
  type: T;
  description: string;
  /** Variable group the expressions are checked against (null: every known variable). */
  variables: string | null;
  /** Constant group (null: none). */
  constants: string | null;
  default: BlockInput;
  /** The value used when neither the configured block nor the default gives one (absent: none). */
  fallback?: TypedValue[T];
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

/** Configuration objects by name. */
export type Schema = Readonly<Record<string, ObjectSchema>>;

export const SCHEMA: Schema = {
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
        fallback: 3,
      },
      waitOnFail: {
        type: 'duration',
        description: 'How long to wait after an authentication failure.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: '5s' },
        fallback: 5000,
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
        fallback: [],
      },
      mustMatchSender: {
        type: 'boolean',
        description: 'The authenticated user, or one of their addresses, must match the MAIL FROM sender.',
        variables: 'MtaMailFromVariable',
        constants: null,
        default: { match: [], else: 'true' },
        fallback: true,
      },
      require: {
        type: 'boolean',
        description: 'Authentication is necessary to send.',
        variables: 'MtaEhloVariable',
        constants: null,
        default: { match: [], else: 'local_port != 25' },
        fallback: true,
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
        fallback: 'localhost',
        smtpLine: true,
      },
      script: {
        type: 'optionalString',
        description: 'The Sieve script to run when a client connects (false: none).',
        variables: 'MtaConnectionVariable',
        constants: null,
        default: { match: [], else: 'false' },
        fallback: null,
      },
    },
  },
  PostfixPolicy: {
    description: "Operator rules of the Postfix policy service (`mta-expr policyd`): the action answered to Postfix's check_policy_service.",
    location: 'mta-expr › Postfix policy service',
    singleton: true,
    fields: {
      action: {
        type: 'optionalString',
        description:
          "The Postfix access action for a request that passed the AUTH checks: 'REJECT text', 'DEFER_IF_PERMIT text', 'DUNNO', 'OK', a '4NN/5NN text' reply… (false: no rule, DUNNO). Evaluated at every request (rcpt is empty before RCPT TO).",
        variables: 'MtaRcptToVariable',
        constants: null,
        default: { match: [], else: 'false' },
        fallback: null,
        smtpLine: true,
      },
    },
  },
};

/** The object of that name (own keys only: `constructor` is no object), or undefined. */
export function objectSchema(schema: Schema, name: string): ObjectSchema | undefined {
  return hasOwn(schema, name) ? schema[name] : undefined;
}

/** The field of an object (own keys only), or undefined. */
export function fieldSchema(object: ObjectSchema, field: string): FieldSchema | undefined {
  return hasOwn(object.fields, field) ? object.fields[field] : undefined;
}
