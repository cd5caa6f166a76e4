// Public API of the pipeline module: createPipeline (every stage composed into one send()), its contract, and the
// two library front doors built on it — createClient (typed calls) and resilientFetch (a fetch for any SDK).
export { createPipeline } from './pipeline.js';
export type { PipelineOptions, PacingOptions, PipelineBreakerOptions, PipelineCatalogOptions, PipelineRetryBudgetOptions } from './options.js';
export { PIPELINE_DEFAULTS } from './options.js';
export type {
  Endpoint,
  TextEndpoint,
  MediaEndpoint,
  ContextOverflowPolicy,
  RequestOverrides,
  PipelineRequest,
  UsageRecord,
  JsonResult,
  StreamResult,
  PipelineResult,
  PipelineState,
  Pipeline,
} from './contract.js';
export { carriesContent } from './stream.js';
export { promptBound, countPrompt, preflight } from './preflight.js';
export type { TokenPlan, PreflightResult } from './preflight.js';
export { createClient } from './client.js';
export { withSpendBudget, worstCaseUsd, modelLookupFrom } from './spend-budget-layer.js';
export type { BudgetBinding, ModelLookup } from './spend-budget-layer.js';
export type { ClientOptions, CallOptions, TetherStream, TetherClient, ChatCompletions, Completions } from './client.js';
export { resilientFetch, apiPath } from './resilient-fetch.js';
export type { ResilientFetch, ResilientFetchOptions, FetchInput } from './resilient-fetch.js';
export { errorResponse, statusFor } from './http-response.js';
export { MAX_BODY_DEPTH, jsonTextTooDeep, valueTooDeep } from './check-body.js';
