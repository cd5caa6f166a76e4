// Public API of the gateway: an OpenAI-compatible HTTP server with every inference request going through the
// pipeline, its config (JSON or YAML), its logger and journaled pipeline. (`tether gateway`'s runner is the CLI's.)
export { createGateway } from './server.js';
export type { GatewayOptions, RunningGateway } from './server.js';
export {
  DEFAULT_GATEWAY_HOST,
  DEFAULT_GATEWAY_PORT,
  DEFAULT_LIMITS,
  DEFAULT_TIMEOUTS,
  GatewayConfigError,
  gatewayFileSchema,
  loadGatewayConfigFile,
  parseGatewayConfig,
  resolveGatewayConfig,
} from './config.js';
export type { GatewayConfig, GatewayFileConfig, GatewayLogLevel, GatewayPolicies, KeySource, ResolvedClient } from './config.js';
export type { PipelineFactory, PipelineSettings } from './generation.js';
export { GatewayMetrics } from './metrics.js';
export { DEFAULT_OVERLOAD } from './overload.js';
export type { OverloadReason, OverloadSettings, OverloadStatus } from './overload.js';
export { MAX_BODY_DEPTH, MAX_MODEL_ID_LENGTH } from './body.js';
export { isLoopbackHost } from './http.js';
export { togetherErrorReply, asciiHeader } from './envelope.js';
export type { ErrorEnvelope, ErrorReply } from './envelope.js';
export { createGatewayLogger } from './log.js';
export type { Logger as GatewayLogger } from './log.js';
export { createJournaledPipeline } from './journaled-pipeline.js';
