/**
 * mta-expr/hosts: what is built on the language — the configuration objects and their
 * stores, the in-memory lookups, the session policy and SMTP server, the management API.
 * Everything here uses the language only through its public entry (`mta-expr`).
 */
export { SCHEMA, fieldSchema, objectSchema, type FieldSchema, type FieldType, type ObjectSchema, type Schema } from './config/schema.js';
export {
  canonicalBlock,
  compileField,
  ConfigError,
  ConfigObject,
  defaultBlock,
  type BlockTrace,
  type CanonicalBlock,
  type ErrorHook,
  type FieldError,
  type FieldTrace,
  type FieldValue,
} from './config/object.js';
export { buildObjects, ConfigTransaction, LiveConfig, type ConfigObjects, type ConfigView, type FollowEvent, type FollowOptions, type StoreHealth, type UpdateResult } from './config/live.js';
export { FileStore, INITIAL_STATE, MemoryStore, type ConfigChange, type ConfigStore, type HistoryEntry, type StoredConfig, type StoreWatch } from './config/store.js';
export { MemoryKeyStore, MemoryLookups, type MemoryLookupsInit } from './lookups/memory.js';
export { DnsError, DnsLookup, dnsSettings, type DnsAnswer, type DnsSettings, type DnsStats } from './lookups/dns.js';
export { RedisStore, type RedisSettings } from './lookups/redis.js';
export { PostgresStore, sqlCell, SqliteStore, type PostgresSettings, type SqliteSettings, type SqlStore } from './lookups/sql.js';
export { loadLookupSettings, LOOKUP_KEYS, lookupSettings, openLookups, STORE_TYPES, StoreLookups, type DirectorySource, type LookupSettings, type StoreLookupsOptions, type StoreSettings } from './lookups/stores.js';
export type { BackendStatus, StatusListener } from './lookups/status.js';
export { configStoreSettings, PostgresConfigStore, type PostgresStoreSettings } from './config/postgres-store.js';
export { lintField, lintFieldOf, lintPatch } from './config/lint.js';
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
  type StageEvent,
  type StageValues,
} from './smtp/policy.js';
export { PolicySmtpServer, type PolicySmtpServerOptions, type ReceivedMessage, type SmtpEvent, type SmtpListener, type SmtpUser } from './smtp/server.js';
export { DeliveryError, discardDelivery, hookDelivery, MessageTooBig, relayDelivery, spoolDelivery, type Delivery, type Envelope, type RelaySettings } from './smtp/delivery.js';
export { DEFAULT_SMTP_LIMITS, type SmtpLimits } from './smtp/limits.js';
export { createLog, type Log, type LogFields, type LogFormat, type LogLevel } from './log.js';
export { selfSignedCertificate } from './smtp/tls.js';
export { SimulatedSession, Simulator, type Exchange, type SimulatedConnection, type SimulatorOptions, type SmtpReply, type StageField } from './smtp/simulation.js';
export { parseRecordedStep, SessionRecorder, type RecordedStep } from './smtp/record.js';
export { Coverage, type BranchCoverage, type ConditionCoverage, type CoverageTotals, type FieldCoverage } from './testing/coverage.js';
export { CaseRunner, type CaseResult, type CaseSetup } from './testing/runner.js';
export { parseTestFile, TestFileError, type TestCase, type TestFile } from './testing/test-file.js';
export { TEST_FILE_SCHEMA } from './testing/test-file-schema.js';
export { Replay, type ReplayReport } from './testing/replay.js';
export { closeApiServer, createApiServer, healthReport, type ApiServerOptions, type RequestHandler } from './api/http.js';
export { handleJmap } from './api/jmap.js';
export { ACCOUNT_ID, apiLimits, ATOMIC, CORE, DEFAULT_LIMITS as DEFAULT_API_LIMITS, HISTORY, sessionResource, STALWART, type ApiLimits } from './api/session.js';
export { schemaResource } from './api/schema-resource.js';
export { ADMIN_NAME, MIN_TOKEN_LENGTH, permission, PERMISSIONS, permissionsOf, TokenTable, type Caller, type TokenEntry } from './api/tokens.js';
export { CONTENT_SECURITY_POLICY, createWebHandler, webAssetsDir, type WebOptions } from './web/server.js';
export { loadServerConfig, serverConfig, type ServerConfig } from './cli/server-config.js';
export { run as runCli } from './cli/main.js';
export { isObject, Settings, SettingsError } from './json.js';
