// The OpenTelemetry side of the tracing layers, loaded only when tracing is on (see index.ts).
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracedRequest, TracedResult, TracingOptions } from './index.js';
import { OPERATION_NAME, PROVIDER_NAME, GEN_AI, TETHER, formatTraceparent, parseTraceparent } from './attributes.js';

type Send<C, R> = (call: C) => Promise<R>;

/** The attempt as the attempt layer reads it (structural: the pipeline's attempt call). */
interface TracedAttempt {
  model: string;
  attempt: number;
  headers: Record<string, string>;
  slots: Map<symbol, unknown>;
  retryOf?: { reason: string; delayMs: number } | undefined;
  fallbackFrom?: { model: string; why: string } | undefined;
  pacedMs?: number | undefined;
  circuit?: string | undefined;
  onEnd(callback: (end: { kind: 'success' } | { kind: 'failure'; error: { category: string; code?: string | undefined } } | { kind: 'released' }) => void): void;
}

/** The request's span and operation, kept in the request's slots for its attempts. */
const REQUEST_SPAN = Symbol('tether.tracing.request');
interface RequestSpan {
  span: Span;
  context: Context;
  operation: string;
}

export interface Tracing {
  request<R>(next: Send<TracedRequest, R>): Send<TracedRequest, R>;
  attempt<R>(next: Send<TracedAttempt, R>): Send<TracedAttempt, R>;
  close(): Promise<void>;
}

function tracesUrl(options: TracingOptions, env: NodeJS.ProcessEnv): string | undefined {
  if (options.endpoint !== undefined) return options.endpoint;
  const traces = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  if (traces) return traces;
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

export function createTracing(options: TracingOptions, env: NodeJS.ProcessEnv): Tracing {
  let owned: BasicTracerProvider | undefined;
  let provider: TracerProvider;
  if (options.tracerProvider !== undefined) {
    provider = options.tracerProvider;
  } else {
    const url = tracesUrl(options, env);
    owned = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? env['OTEL_SERVICE_NAME']?.trim() ?? 'tether' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(url !== undefined ? { url } : {}))],
    });
    provider = owned;
  }
  const tracer: Tracer = provider.getTracer('tether-together');
  return {
    request: (next) => (call) => traceRequest(tracer, next, call),
    attempt: (next) => (call) => traceAttempt(tracer, next, call),
    async close() {
      await owned?.shutdown();
    },
  };
}

function usageAttributes(usage: { prompt_tokens?: number; completion_tokens?: number } | undefined): Attributes {
  const out: Attributes = {};
  if (typeof usage?.prompt_tokens === 'number') out[GEN_AI.inputTokens] = usage.prompt_tokens;
  if (typeof usage?.completion_tokens === 'number') out[GEN_AI.outputTokens] = usage.completion_tokens;
  return out;
}

function failed(span: Span, error: unknown): void {
  const category = (error as { category?: unknown })?.category;
  const code = (error as { code?: unknown })?.code;
  const type = typeof code === 'string' ? code : typeof category === 'string' ? category : ((error as Error)?.name ?? 'error');
  span.setAttribute(ATTR_ERROR_TYPE, type);
  if (typeof category === 'string') span.setAttribute(TETHER.category, category);
  // The message is not recorded: it may quote an upstream's body. The category and code say what happened.
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

async function traceRequest<R>(tracer: Tracer, next: Send<TracedRequest, R>, call: TracedRequest): Promise<R> {
  const { request } = call;
  const operation = OPERATION_NAME[request.endpoint] ?? request.endpoint;
  const model = typeof (request.body as { model?: unknown } | null)?.model === 'string' ? (request.body as { model: string }).model : undefined;
  const incoming = request.traceparent !== undefined ? parseTraceparent(request.traceparent, request.tracestate) : undefined;
  const parent = incoming !== undefined ? trace.setSpanContext(ROOT_CONTEXT, incoming) : otelContext.active();
  const attributes: Attributes = { [GEN_AI.operationName]: operation, [GEN_AI.providerName]: PROVIDER_NAME };
  if (model !== undefined) attributes[GEN_AI.requestModel] = model;
  if (request.requestId !== undefined) attributes[TETHER.requestId] = request.requestId;
  const span = tracer.startSpan(model !== undefined ? `${operation} ${model}` : operation, { kind: SpanKind.INTERNAL, attributes }, parent);
  call.slots.set(REQUEST_SPAN, { span, context: trace.setSpan(parent, span), operation } satisfies RequestSpan);
  let result: R;
  try {
    result = await next(call);
  } catch (error) {
    failed(span, error);
    span.end();
    throw error;
  }
  const answer = result as unknown as TracedResult;
  span.setAttribute(GEN_AI.responseModel, answer.model);
  span.setAttribute(TETHER.attempts, answer.attempts);
  if (answer.kind === 'json') {
    span.setAttributes(usageAttributes(answer.record?.usage));
    span.end();
  } else {
    answer.done?.then(
      (record) => {
        span.setAttributes(usageAttributes(record.usage));
        span.end();
      },
      (error: unknown) => {
        failed(span, error);
        span.end();
      },
    );
  }
  return result;
}

async function traceAttempt<R>(tracer: Tracer, next: Send<TracedAttempt, R>, call: TracedAttempt): Promise<R> {
  const parent = call.slots.get(REQUEST_SPAN) as RequestSpan | undefined;
  const operation = parent?.operation ?? 'chat';
  const attributes: Attributes = {
    [GEN_AI.operationName]: operation,
    [GEN_AI.providerName]: PROVIDER_NAME,
    [GEN_AI.requestModel]: call.model,
    [TETHER.attempt]: call.attempt,
  };
  if (call.retryOf !== undefined) {
    attributes[TETHER.retryReason] = call.retryOf.reason;
    attributes[TETHER.retryDelayMs] = call.retryOf.delayMs;
  }
  if (call.fallbackFrom !== undefined) {
    attributes[TETHER.fallbackFrom] = call.fallbackFrom.model;
    attributes[TETHER.fallbackTo] = call.model;
    attributes[TETHER.fallbackReason] = call.fallbackFrom.why;
  }
  const span = tracer.startSpan(`${operation} ${call.model}`, { kind: SpanKind.CLIENT, attributes }, parent?.context ?? otelContext.active());
  const spanContext = span.spanContext();
  call.headers['traceparent'] = formatTraceparent(spanContext);
  if (spanContext.traceState !== undefined) call.headers['tracestate'] = spanContext.traceState.serialize();
  const startedAt = performance.now();
  let settled = false;
  call.onEnd((end) => {
    if (settled) return;
    settled = true;
    if (call.pacedMs !== undefined) span.setAttribute(TETHER.pacingWaitMs, call.pacedMs);
    if (call.circuit !== undefined) span.setAttribute(TETHER.breakerState, call.circuit);
    if (end.kind === 'failure') failed(span, end.error);
    span.end();
  });
  try {
    const result = await next(call);
    const answer = result as unknown as { kind?: string; body?: { model?: unknown; usage?: { prompt_tokens?: number; completion_tokens?: number } } };
    if (answer.kind === 'stream') {
      // The exchange returns a stream once its first content chunk has arrived.
      span.setAttribute(TETHER.timeToFirstChunkMs, performance.now() - startedAt);
    } else if (answer.body !== undefined && answer.body !== null) {
      if (typeof answer.body.model === 'string') span.setAttribute(GEN_AI.responseModel, answer.body.model);
      span.setAttributes(usageAttributes(answer.body.usage));
    }
    return result;
  } catch (error) {
    if (!settled) {
      // A refusal before the attempt was sent (an open circuit, a stopped key) ends the span here.
      failed(span, error);
    }
    throw error;
  }
}
