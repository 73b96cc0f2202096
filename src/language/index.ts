/**
 * mta-expr: compile and evaluate the configuration expression language of mail transfer
 * agents (Stalwart-compatible). This is the language's whole public face; the hosts built on
 * it (configuration objects, SMTP, management API, CLI) are in `mta-expr/hosts`.
 *
 *   const p = compile('local_port != 25 && is_tls', { variables: 'MtaEhloVariable' });
 *   p.evaluate({ local_port: 587, is_tls: true }); // 1
 */
export { compile } from './compile.js';
export { prepareVariables, Program, type CompiledPart, type ConditionTrace, type Explanation, type Trace } from './program.js';
export type { PreparedVariables } from './compiler/generated/variable-readers.js';
export type { BlockInput, Condition } from './syntax/block.js';
export { normalizeBlock, type NormalBlock } from './syntax/block.js';
export type { CompileOptions, CustomFunction } from './check/scope.js';
export type { DnsRecordType, Environment, Lookups, MxRecord, SqlResult } from './runtime/environment.js';
export type { Vars } from './runtime/state.js';
export {
  CompileError,
  describePart,
  diagnosticJson,
  EvaluationError,
  renderDiagnostic,
  renderDiagnostics,
  renderFix,
  type BlockPart,
  type Diagnostic,
  type ErrorCode,
  type EvaluationErrorCode,
  type Fix,
  type Severity,
  type Span,
} from './errors/index.js';
export { DEFAULT_LIMITS, MAX_LIMITS, parse, type Limits } from './syntax/parser.js';
export { MAX_LIST_LENGTH, MAX_STRING_LENGTH } from './runtime/sizes.js';
export { print } from './syntax/printer.js';
export type * as Ast from './syntax/ast.js';
export { Constant, constant, durationText } from './runtime/values.js';
export { fromJsonValue, toJsonValue, type HostValue, type JsonValue } from './runtime/host-values.js';
export {
  asBoolean,
  asConstantList,
  asDuration,
  asInteger,
  asList,
  asRate,
  asString,
  readAs,
  VALUE_TYPES,
  type Rate,
  type TypedValue,
  type ValueType,
} from './runtime/typed-readers.js';
export { ALL_CONSTANTS, ALL_VARIABLES, CONSTANT_GROUPS, SYSTEM_NAMES, VARIABLE_GROUPS } from './contexts.js';
export { BUILTIN_FUNCTIONS, type FunctionSpec } from './functions/index.js';
export { lint, LINT_RULES, type LintField, type LintOptions, type LintRule } from './lint/index.js';
export { SPECIAL_FORMS } from './check/special-forms.js';
export { BINARY_OPERATORS, UNARY_OPERATORS, type BinaryOperator, type UnaryOperator } from './operators.js';
