export { TogetherError, isTogetherError, ERROR_CATEGORIES } from './together-error.js';
export type { ErrorCategory, TogetherErrorFields } from './together-error.js';
export { classify, modelFromMessage } from './classify.js';
export type { ClassifyInput } from './classify.js';
export { classifyNetworkError } from './network.js';
export { BILLING_FIX, billingFix, withFrontDoorFix } from './front-door.js';
export type { FrontDoor } from './front-door.js';
export { parseRetryAfterMs, extractRequestId, getHeader } from './headers.js';
export type { HeadersLike } from './headers.js';
export { parseErrorBody } from './body.js';
export type { ParsedBody, BodyShape } from './body.js';
export { parseContextLengthNumbers, isContextLengthText } from './context-length.js';
export type { ContextLengthNumbers } from './context-length.js';
export { redactSecrets, redactPatterns, secretsFromHeaders, REDACTED, createScrubber, scrubberFor, base64Cores, isSecretName } from './redact.js';
export type { Scrubber } from './redact.js';
export { CATEGORY_DEFAULTS, HTTP_RULES, NETWORK_RULES, TOGETHER_CODES, formatDuration } from './table.js';
export type { KeySource, HttpRule, NetworkRule, CategoryDefaults } from './table.js';
export { formatBytes, responseTooLargeError, streamEventTooLargeError, waitAboveCapError, tokenBudgetTooSmallError } from './limits.js';
export { BACKOFF_SCALE, FAILURE_BEHAVIOUR, CODE_BEHAVIOUR, behaviourOf, categoriesWhere } from './behaviour.js';
export type { FailureBehaviour, BackoffClass, FallbackClass } from './behaviour.js';
export { budgetExceededError, budgetStoreUnavailableError, budgetUnpricedError } from './budget-errors.js';
export { abortError, pacingFailedError, withModel, withRetryable, notTogetherAnswerError, retryAfterAboveCapError, retryPastDeadlineError } from './factories.js';
export { classificationLayer } from './classification-layer.js';
export { API_KEY_ENV, findApiKey } from './api-key.js';
export {
  batchStreamAnswerError,
  fileProcessingTimeoutError,
  fineTuneWaitTimeoutError,
  invalidFineTuneParamsError,
  nothingCreatedError,
  outcomeUnknownError,
  storageUploadError,
  unansweredError,
} from './job-errors.js';
export { scrubbedError } from './scrubbed-error.js';
export { dynamicLimitSaturatedError, peerStopError, retryBudgetExhaustedError, throttledLocallyErrorOf, timeoutError } from './policy-errors.js';
export type { TimeoutKind } from './policy-errors.js';
export {
  breakerOpenError,
  contextOverflowError,
  formWithoutBytesError,
  invalidBodyError,
  invalidJsonBodyError,
  invalidOverridesError,
  missingKeyError,
  openAiBaseUrlError,
  pipelineClosedError,
  streamError,
  unknownEndpointError,
  unresolvedModelError,
  unusableModelError,
} from './pipeline-errors.js';
export type { OverflowFacts, UnresolvedModelFacts } from './pipeline-errors.js';
