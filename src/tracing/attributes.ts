// Attribute names: OpenTelemetry's GenAI semantic conventions (gen_ai.*, error.type) and tether's own (tether.*),
// and the W3C traceparent header's text form.
import type { SpanContext } from '@opentelemetry/api';

/** gen_ai.provider.name: Together is not in the conventions' list of well-known values, so its own lower-case name. */
export const PROVIDER_NAME = 'together';

export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
} as const;

export const TETHER = {
  requestId: 'tether.request_id',
  attempts: 'tether.attempts',
  attempt: 'tether.attempt',
  category: 'tether.error.category',
  retryReason: 'tether.retry.reason',
  retryDelayMs: 'tether.retry.delay_ms',
  fallbackFrom: 'tether.fallback.from',
  fallbackTo: 'tether.fallback.to',
  fallbackReason: 'tether.fallback.reason',
  pacingWaitMs: 'tether.pacing.wait_ms',
  breakerState: 'tether.breaker.state',
  timeToFirstChunkMs: 'tether.stream.time_to_first_chunk_ms',
} as const;

/** gen_ai.operation.name per pipeline endpoint (the conventions' values where one fits). */
export const OPERATION_NAME: Record<string, string> = {
  chat: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
  images: 'generate_content',
  rerank: 'rerank',
  speech: 'generate_content',
  transcriptions: 'generate_content',
  translations: 'generate_content',
};

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** A client's traceparent as a remote span context, or undefined when it is not a valid W3C one. */
export function parseTraceparent(header: string, tracestate?: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  const context: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16) & 1, isRemote: true };
  if (tracestate !== undefined && tracestate.length <= 512) {
    context.traceState = { serialize: () => tracestate, get: () => undefined, set: () => context.traceState!, unset: () => context.traceState! };
  }
  return context;
}

export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 1) === 1 ? '01' : '00'}`;
}
