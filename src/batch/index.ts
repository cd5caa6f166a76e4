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
export { snapshotCostBound, snapshotPrices, catalogPrices, requestCostBound, tokenBounds, goesToBatch, estimateJobCost } from './cost.js';
export type { ModelPrice, PriceLookup, JobCostEstimate } from './cost.js';
export { writeLinesAtomically, writeJobOutput } from './output.js';
export { runFile, readInputFile, InputFileError } from './run-file.js';
export type { RunFileOptions, RunFileResult } from './run-file.js';
export { formatProgress, formatUsd, formatDurationShort, progressBar } from './progress.js';
export type { ProgressView } from './progress.js';
// Together's Batch API: submit (check, split, upload, create), status, wait, cancel, list, results.
export {
  BATCH_STATUSES,
  batchJobSchema,
  cancelBatch,
  createBatch,
  fileContent,
  getBatch,
  isTerminalBatchStatus,
  listBatches,
} from './batch-api.js';
export type { BatchJob, BatchRequestOptions, BatchStatus, CreateBatchInput } from './batch-api.js';
export { checkBatchModels } from './batch-check.js';
export { BATCH_LIMITS, planParts, submitBatch } from './submit.js';
export type { PartPlan, SplitLimits, SubmitOptions, SubmitResult, SubmittedPart } from './submit.js';
export { BatchNotFinishedError, batchLineResults, mergeBatchResults, statusForErrorCode, unansweredError, writeBatchResults } from './results.js';
export type { BatchFiles, BatchLineResult, MergedResults, ResultsSummary } from './results.js';
export { BatchNotRecoverableError, planRecovery, recoverBatch } from './recover.js';
export type { RecoverOptions, RecoverPlan, RecoverResult } from './recover.js';
export { BatchWaitTimeoutError, DEFAULT_BATCH_POLL_MS, waitForBatches } from './wait.js';
export type { WaitBatchesOptions } from './wait.js';
// `tether run` progress files under $TETHER_HOME/runs/, read by the gateway's dashboard.
export { createRunStatusReporter, runJobId, runStatusFromProgress } from './run-status-file.js';
export type { RunStatusReporter, RunStatusReporterOptions } from './run-status-file.js';
// The files' format and place are local-state's; re-exported for batch's callers.
export { parseRunStatus, pruneRunStatuses, readRunStatuses, runsDir, writeRunStatus, RUN_STATUS_STALE_MS } from '../local-state/index.js';
export type { RunState, RunStatus, RunStatusView } from '../local-state/index.js';
