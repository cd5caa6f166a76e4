// The gateway's view of the pipeline module: its contract types, re-exported for the rest of the gateway.
export type { Pipeline, PipelineRequest, PipelineResult, JsonResult, StreamResult, UsageRecord, Endpoint, RequestOverrides } from '../pipeline/index.js';
