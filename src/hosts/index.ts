/**
 * mta-expr/hosts: what is built on the language — the configuration objects and their
 * stores, the in-memory lookups, the session policy and SMTP server, the management API.
 * Everything here uses the language only through its public entry (`mta-expr`).
 */
export { SCHEMA, fieldSchema, objectSchema, type FieldSchema, type FieldType, type ObjectSchema, type Schema } from './config/schema.js';
export { compileField, ConfigError, ConfigObject, type ErrorHook, type FieldError, type FieldValue } from './config/object.js';
export { buildObjects, LiveConfig, type ConfigObjects, type UpdateResult } from './config/live.js';
export { FileStore, MemoryStore, type ConfigStore, type StoredConfig } from './config/store.js';
export { lintField, lintFieldOf, lintPatch } from './config/lint.js';
export { MemoryLookups, type MemoryLookupsInit } from './lookups/memory.js';
export {
  DEFAULT_AUTH_LIMITS,
  PolicySession,
  SessionPolicy,
  STAGES,
  type ConnectAnswers,
  type ConnectionInfo,
  type EhloAnswers,
  type MailAnswers,
  type PolicyOptions,
  type StageName,
  type StageValues,
} from './smtp/policy.js';
export { PolicySmtpServer, type PolicySmtpServerOptions, type ReceivedMessage, type SmtpListener, type SmtpUser } from './smtp/server.js';
export { selfSignedCertificate } from './smtp/tls.js';
export { createApiServer, type ApiServerOptions } from './api/http.js';
export { CORE, handleJmap, STALWART } from './api/jmap.js';
export { MIN_TOKEN_LENGTH, permission, PERMISSIONS, permissionsOf, TokenTable, type TokenEntry } from './api/tokens.js';
export { loadServerConfig, serverConfig, type ServerConfig } from './cli/server-config.js';
export { run as runCli } from './cli/main.js';
export { isObject } from './json.js';
