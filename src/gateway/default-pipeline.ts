// The gateway's config → the real pipeline's options. Every policy is the pipeline's; this only renames.
import { createPipeline } from '../pipeline/index.js';
import type { PipelineOptions } from '../pipeline/index.js';
import { DEFAULT_TIMEOUTS } from './config.js';
import type { Pipeline } from './pipeline.js';
import type { PipelineSettings } from './generation.js';

export function pipelineOptions(settings: PipelineSettings): PipelineOptions {
  const { pacing, retries, preflight, breaker, timeouts, retryBudget, throttle, billingProbe } = settings.policies;
  const options: PipelineOptions = {
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    keySource: settings.keySource,
    // The gateway's own environment is not the pipeline's business: keys and URLs come resolved.
    env: {},
  };
  if (pacing === false) options.pacing = false;
  else if (pacing !== undefined || settings.redis !== undefined) {
    options.pacing = { ...pacing, ...(settings.redis !== undefined ? { store: { redis: settings.redis } } : {}) };
  }
  if (retries !== undefined) options.retry = retries;
  if (breaker !== undefined || settings.redis !== undefined) {
    options.breaker = { ...breaker, ...(settings.redis !== undefined ? { store: { redis: settings.redis } } : {}) };
  }
  // Every gateway on the same Redis draws retries from one budget per key × model.
  if (retryBudget === false) options.retryBudget = false;
  else if (retryBudget !== undefined || settings.redis !== undefined) {
    options.retryBudget = { ...retryBudget, ...(settings.redis !== undefined ? { store: { redis: settings.redis } } : {}) };
  }
  if (throttle !== undefined) options.throttle = throttle;
  if (billingProbe !== undefined || settings.redis !== undefined) {
    options.billingProbe = { ...billingProbe, ...(settings.redis !== undefined ? { store: { redis: settings.redis } } : {}) };
  }
  if (preflight?.onContextOverflow !== undefined) options.onContextOverflow = preflight.onContextOverflow;
  if (preflight?.allowSuccessor !== undefined) options.allowSuccessor = preflight.allowSuccessor;
  // The gateway's default deadline: the pipeline has none of its own (a library caller has its own signal).
  options.deadlineMs = timeouts?.deadlineMs ?? DEFAULT_TIMEOUTS.deadlineMs;
  if (timeouts?.attemptTimeoutMs !== undefined) options.attemptTimeoutMs = timeouts.attemptTimeoutMs;
  if (timeouts?.idleTimeoutMs !== undefined) options.idleTimeoutMs = timeouts.idleTimeoutMs;
  if (settings.secrets !== undefined && settings.secrets.length > 0) options.secrets = settings.secrets;
  if (settings.maxResponseBytes !== undefined) options.maxResponseBytes = settings.maxResponseBytes;
  if (settings.maxStreamEventBytes !== undefined) options.maxStreamEventBytes = settings.maxStreamEventBytes;
  // Unset: the pipeline's tracing layer reads the OTEL_* variables from the process environment itself.
  if (settings.tracing !== undefined) options.tracing = typeof settings.tracing === 'object' ? { ...settings.tracing } : settings.tracing;
  return options;
}

export function createDefaultPipeline(settings: PipelineSettings): Pipeline {
  return createPipeline(pipelineOptions(settings));
}
