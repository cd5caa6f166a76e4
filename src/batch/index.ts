// Public API of the batch module: the live runner (`tether run`) with its checkpoint stores, and (see below)
// Together's Batch API workflow (`tether batch`).
export { parseBatchInput, formatIssues, requestLine, splitLines, endpointOfBody, MAX_CUSTOM_ID_LENGTH, ENDPOINT_PATHS } from './input.js';
export type { BatchRequest, InputIssue, ParsedInput, ParseOptions } from './input.js';
export { responseLine, errorLine, errorFields } from './result-line.js';
export type { ErrorLineFields } from './result-line.js';
export type { SendFn, Endpoint } from './send.js';
export { CheckpointMismatchError, CheckpointBusyError, CheckpointStoreError } from './store.js';
export type { CheckpointStore, Claim, JobIdentity, JobSummary, OpenOptions, SavedResult } from './store.js';
export { MemoryStore } from './memory-store.js';
export { SqliteStore } from './sqlite-store.js';
export { RedisStore, describeRedisUrl } from './redis-store.js';
export type { RedisStoreOptions } from './redis-store.js';
export { parseStoreSpec, openStore, StoreSpecError, CHECKPOINT_SUFFIX } from './open-store.js';
export type { StoreSpec } from './open-store.js';
export { runJob, stopReasonFor, DEFAULT_CONCURRENCY } from './runner.js';
export type { RunJobOptions, RunOutcome, RunProgress, RunStop, StopReason } from './runner.js';
export { snapshotCostBound } from './cost.js';
export { writeLinesAtomically, writeJobOutput } from './output.js';
export { runFile, readInputFile, InputFileError } from './run-file.js';
export type { RunFileOptions, RunFileResult } from './run-file.js';
export { formatProgress, formatUsd, formatDurationShort, progressBar } from './progress.js';
export type { ProgressView } from './progress.js';
