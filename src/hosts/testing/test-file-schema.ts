/**
 * The JSON Schema of a policy test file (`mta-expr test`). `schema/test-file.schema.json`
 * in the repository is this object as a file (a test holds them equal), for editors that
 * read `$schema`. What a schema cannot say — that an object and a field exist, that an
 * expected value can be read as the field's type — the loader checks (test-file.ts).
 */
export const TEST_FILE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/mta-expr/mta-expr/schema/test-file.schema.json',
  title: 'mta-expr policy test file',
  description: 'Cases run by `mta-expr test`: the session variables (or a scripted SMTP session) and the values the configuration must give.',
  type: 'object',
  required: ['cases'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    config: { type: 'string', description: 'The configuration under test: a server configuration file or a snapshot file, relative to this file. Absent: the defaults.' },
    hostname: { type: 'string', description: "system('hostname') in the expressions (default localhost)." },
    users: {
      type: 'array',
      description: 'Users AUTH is checked against in scripted sessions (besides those of the configuration file).',
      items: {
        type: 'object',
        required: ['username', 'password'],
        additionalProperties: false,
        properties: {
          username: { type: 'string' },
          password: { type: 'string' },
          addresses: { type: 'array', items: { type: 'string' } },
          tokens: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    lookups: {
      type: 'object',
      description: 'In-memory lookup data: domains, addresses, stores, dns.',
      additionalProperties: false,
      properties: {
        domains: { type: 'array', items: { type: 'string' } },
        addresses: { type: 'array', items: { type: 'string' } },
        stores: { type: 'object', additionalProperties: { type: 'object' } },
        dns: { type: 'object', additionalProperties: { type: 'object' } },
      },
    },
    cases: { type: 'array', minItems: 1, items: { $ref: '#/$defs/case' } },
  },
  $defs: {
    case: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1 },
        vars: { type: 'object', description: "The session's variables (each named field is evaluated with them)." },
        connection: { $ref: '#/$defs/connection' },
        session: { type: 'array', description: 'A scripted SMTP session, as `mta-expr simulate` takes it.', items: { $ref: '#/$defs/step' } },
        expect: { $ref: '#/$defs/expect' },
      },
    },
    connection: {
      type: 'object',
      description: 'The connection of a scripted session.',
      additionalProperties: false,
      properties: {
        remote_ip: { type: 'string' },
        remote_port: { type: 'integer', minimum: 0, maximum: 65535 },
        local_ip: { type: 'string' },
        local_port: { type: 'integer', minimum: 0, maximum: 65535 },
        listener: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
        tls: { type: 'boolean', description: 'TLS from the start (implicit TLS).' },
      },
    },
    step: {
      description: 'A line to send, or a line with the reply it must get, or an AUTH exchange.',
      anyOf: [
        { type: 'string' },
        {
          type: 'object',
          required: ['send'],
          additionalProperties: false,
          properties: { send: { type: 'string' }, reply: { $ref: '#/$defs/reply' }, expect: { $ref: '#/$defs/expect' } },
        },
        {
          type: 'object',
          required: ['auth'],
          additionalProperties: false,
          properties: {
            auth: {
              type: 'object',
              required: ['mechanism', 'username'],
              additionalProperties: false,
              properties: {
                mechanism: { enum: ['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER'] },
                username: { type: 'string' },
                password: { type: 'string' },
                token: { type: 'string' },
              },
            },
            reply: { $ref: '#/$defs/reply' },
            expect: { $ref: '#/$defs/expect' },
          },
        },
      ],
    },
    reply: {
      description: 'The reply code, or the start of a line of the reply ("530", "250 AUTH PLAIN LOGIN"), or several such lines.',
      anyOf: [{ type: 'integer', minimum: 200, maximum: 599 }, { type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }],
    },
    expect: {
      type: 'object',
      description: 'Values of fields, by "Object.field": the value read as the field\'s type, or {"value": …, "error": …} (error: true, false, or a part of the message).',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9]*\\.[A-Za-z][A-Za-z0-9]*$' },
      additionalProperties: {
        anyOf: [
          { type: ['string', 'number', 'boolean', 'null', 'array'] },
          {
            type: 'object',
            minProperties: 1,
            additionalProperties: false,
            properties: { value: {}, error: { type: ['boolean', 'string'] } },
          },
        ],
      },
    },
  },
} as const;
