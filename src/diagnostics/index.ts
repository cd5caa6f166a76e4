// Public API of the diagnostics module: `tether doctor` (step-by-step checks from this machine to a working
// completion), the error journal the pipeline writes, the redacted debug bundle, and saved-response parsing.
export { runDoctor, DOCTOR_STEPS, DEFAULT_DOCTOR_TIMEOUT_MS } from './doctor/run.js';
export { cheapestChatModel, median } from './doctor/api-steps.js';
export type { DoctorOptions } from './doctor/context.js';
export { formatDoctorReport, formatStep, formatCounts } from './doctor/format.js';
export { STEP_IDS } from './types.js';
export type { DoctorReport, StepId, StepOutcome, StepResult, StepStatus } from './types.js';
export {
  attachErrorJournal,
  readErrorJournal,
  readJournal,
  entryFromError,
  DEFAULT_JOURNAL_MAX_BYTES,
  DEFAULT_JOURNAL_MAX_ENTRIES,
} from './journal.js';
export type { ErrorJournal, ErrorJournalOptions, JournalEntry, JournalRead } from './journal.js';
export { buildDebugBundle, writeDebugBundle } from './bundle.js';
export type { DebugBundle, DebugBundleOptions } from './bundle.js';
export { writeStateFile, readStateFile } from './state-file.js';
export type { SavedState } from './state-file.js';
export { createScrubber, isSecretName, base64Cores } from './scrub.js';
export type { Scrubber } from './scrub.js';
export { parseSavedResponse, SavedResponseError } from './saved-response.js';
export type { SavedResponse } from './saved-response.js';
export { tetherHome, defaultJournalPath, defaultStatePath } from './paths.js';
export { ConfigFileError, loadUserConfig, parseUserConfig, modelsNamedIn, apiKeyIn, baseUrlIn } from './user-config.js';
export type { UserConfig, NamedModel } from './user-config.js';
export { proxySettingsFromEnv, proxyFor, shouldProxy, withoutCredentials } from './proxy.js';
export type { ProxySettings, ProxyChoice } from './proxy.js';
export { readRateLimits } from './rate-limit-words.js';
export type { RateLimitReading } from './rate-limit-words.js';
export { estimateSkew, judgeSkew, SKEW_WARN_MS, SKEW_FAIL_MS } from './clock-skew.js';
export type { SkewEstimate, TimedResponse } from './clock-skew.js';
export { keyShape, keyHint, keyEnding, keyFacts, keyPasteProblem } from './key-shape.js';
export type { KeyShape, KeyFacts } from './key-shape.js';
export { collectVersions, tetherVersion } from './versions.js';
export type { Versions } from './versions.js';
