/**
 * mta-expr/hosts: what is built on the language — the configuration objects and their
 * stores, the in-memory lookups, the session policy and SMTP server, the management API.
 * Everything here uses the language only through its public entry (`mta-expr`).
 */
export { SCHEMA, fieldSchema, objectSchema, type FieldSchema, type FieldType, type ObjectSchema, type Schema } from './config/schema.js';
export { compileField, ConfigError, ConfigObject, type ErrorHook, type FieldError, type FieldValue } from './config/object.js';
export { buildObjects, LiveConfig, type ConfigObjects, type FollowOptions, type StoreHealth, type UpdateResult } from './config/live.js';
export { FileStore, MemoryStore, type ConfigStore, type StoredConfig, type StoreWatch } from './config/store.js';
export { MemoryKeyStore, MemoryLookups, type MemoryLookupsInit } from './lookups/memory.js';
export { DnsError, DnsLookup, dnsSettings, type DnsAnswer, type DnsSettings, type DnsStats } from './lookups/dns.js';
export { RedisStore, type RedisSettings } from './lookups/redis.js';
export { PostgresStore, sqlCell, SqliteStore, type PostgresSettings, type SqliteSettings, type SqlStore } from './lookups/sql.js';
export { lookupSettings, STORE_TYPES, StoreLookups, type DirectorySource, type LookupSettings, type StoreLookupsOptions, type StoreSettings } from './lookups/stores.js';
export type { BackendStatus, StatusListener } from './lookups/status.js';
export { configStoreSettings, PostgresConfigStore, type PostgresStoreSettings } from './config/postgres-store.js';
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
export { createApiServer, healthReport, type ApiServerOptions } from './api/http.js';
export { CORE, handleJmap, STALWART } from './api/jmap.js';
export { MIN_TOKEN_LENGTH, permission, PERMISSIONS, permissionsOf, TokenTable, type TokenEntry } from './api/tokens.js';
export { loadServerConfig, serverConfig, type ServerConfig } from './cli/server-config.js';
export { run as runCli } from './cli/main.js';
export { isObject, Settings, SettingsError } from './json.js';
