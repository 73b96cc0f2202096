/**
 * mta-expr: compile and evaluate the configuration expression language of mail transfer
 * agents (Stalwart-compatible).
 *
 *   const p = compile('local_port != 25 && is_tls', { variables: 'MtaEhloVariable' });
 *   p.evaluate({ local_port: 587, is_tls: true }); // 1
 */
export { compile, Program, type CompiledPart, type ConditionTrace, type Explanation } from './program.js';
export type { BlockInput, Condition } from './block.js';
export type { CompileOptions, CustomFunction, Environment } from './options.js';
export { CompileError, EvaluationError, type BlockPart, type ErrorCode } from './errors.js';
export { DEFAULT_LIMITS, parse, type Limits } from './parser.js';
export { print } from './printer.js';
export type * as Ast from './ast.js';
export { Constant, constant, fromJsonValue, toJsonValue, type HostValue, type JsonValue } from './values.js';
export { asBoolean, asConstantList, asDuration, asInteger, asList, asString } from './readers.js';
export { MemoryLookups, type Lookups, type MemoryLookupsInit, type DnsRecordType, type MxRecord, type SqlResult } from './lookups.js';
export { ALL_CONSTANTS, ALL_VARIABLES, CONSTANT_GROUPS, SYSTEM_NAMES, VARIABLE_GROUPS } from './contexts.js';
export { BUILTIN_FUNCTIONS, SPECIAL_FORMS } from './functions/index.js';
export { SCHEMA, type FieldSchema, type FieldType, type ObjectSchema } from './config/schema.js';
export { ConfigError, ConfigObject, type ErrorHook, type FieldError, type FieldValue } from './config/object.js';
export {
  PolicySession,
  SessionPolicy,
  type ConnectAnswers,
  type ConnectionInfo,
  type EhloAnswers,
  type MailAnswers,
  type PolicyConfig,
  type PolicyOptions,
} from './config/policy.js';
export { loadServerConfig, serverConfig, type ServerConfig } from './config/file.js';
export { PolicySmtpServer, type PolicySmtpServerOptions, type ReceivedMessage, type SmtpListener, type SmtpUser } from './smtp/server.js';
export { selfSignedCertificate } from './smtp/tls.js';
export { createApiServer, type ApiServerOptions } from './api/http.js';
export { handleJmap, CORE, STALWART } from './api/jmap.js';
export { LiveConfig, type UpdateResult } from './api/live-config.js';
export { FileStore, MemoryStore, type ConfigStore, type StoredConfig } from './api/store.js';
export { PERMISSIONS, TokenTable, type TokenEntry } from './api/tokens.js';
