/** Errors and findings: the error types, the caret snippet, diagnostics, suggestions. */
export { CompileError, EvaluationError, type CompileErrorInit, type ErrorCode, type EvaluationErrorCode } from './errors.js';
export { describeLocation, describePart, diagnosticJson, renderDiagnostic, renderFix, renderDiagnostics, type BlockPart, type Diagnostic, type Fix, type Severity } from './diagnostic.js';
export { locate, renderSnippet, type SourceLocation, type Span } from './snippet.js';
export { listNames, nearest } from './suggest.js';
