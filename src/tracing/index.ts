/**
 * tracing: OpenTelemetry as two layers — a span per request (library call, gateway request, `tether run` line)
 * around the pipeline's send, and a child span per attempt, with the GenAI semantic conventions and tether's own
 * attributes; W3C `traceparent` goes upstream on every attempt. Off by default at zero cost: nothing from
 * @opentelemetry is imported until tracing is on (otel.ts is loaded with a dynamic import). On with the standard
 * environment variables (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, OTEL_SERVICE_NAME,
 * OTEL_SDK_DISABLED) or the `tracing` option, which may also carry the caller's own tracer provider.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { Layer, RequestSlots } from '../policy/index.js';

export interface TracingOptions {
  /** Your own tracer provider (spans go wherever it exports); without one, tether sets up an OTLP/HTTP exporter. */
  tracerProvider?: TracerProvider | undefined;
  /** OTLP/HTTP traces URL (default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces). */
  endpoint?: string | undefined;
  /** service.name of the spans (default OTEL_SERVICE_NAME, else "tether"). */
  serviceName?: string | undefined;
}

/** `false` off; `true` or options on; undefined: on when the OpenTelemetry environment variables say so. */
export type TracingOption = boolean | TracingOptions | undefined;

/** A request as the request layer sees it (structural: the pipeline's request, its slots for the attempts). */
export interface TracedRequest {
  request: {
    endpoint: string;
    body: unknown;
    requestId?: string | undefined;
    /** The caller's W3C trace context (a gateway continuing its client's trace). */
    traceparent?: string | undefined;
    tracestate?: string | undefined;
  };
  slots: RequestSlots;
}

/** The request layer's view of a result (structural: the pipeline's JSON or stream result). */
export interface TracedResult {
  kind: 'json' | 'stream';
  model: string;
  attempts: number;
  body?: unknown;
  record?: { usage?: { prompt_tokens?: number; completion_tokens?: number } | undefined } | undefined;
  done?: Promise<{ usage?: { prompt_tokens?: number; completion_tokens?: number } | undefined }> | undefined;
}

export interface TracingLayers<Q, A, AR, R> {
  request: Layer<{ request: Q; slots: RequestSlots }, R>;
  attempt: Layer<A, AR>;
  close(): Promise<void>;
}

/** Whether tracing is on for these options and environment, and how (undefined: off). */
export function resolveTracing(option: TracingOption, env: NodeJS.ProcessEnv): TracingOptions | undefined {
  if (option === false) return undefined;
  if (typeof option === 'object') return option;
  if (option === true) return {};
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter === 'otlp') return {};
  if (env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim()) return {};
  return undefined;
}

/**
 * The tracing layers, or undefined when tracing is off (then nothing is loaded). OpenTelemetry's own variables are
 * read from the process environment, as every OpenTelemetry SDK does (not from a pipeline's `env` option).
 */
/** The optional peer packages tracing needs beyond @opentelemetry/api (a dependency). */
export const TRACING_PACKAGES = [
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/semantic-conventions',
] as const;

export function tracingLayers<Q extends TracedRequest['request'], A, AR, R>(option: TracingOption): TracingLayers<Q, A, AR, R> | undefined {
  const resolved = resolveTracing(option, process.env);
  if (resolved === undefined) return undefined;
  const loaded = import('./otel.js').then((otel) => otel.createTracing(resolved, process.env));
  // A failed load must not fail requests: they go untraced, and the process is told once why. The exporter and SDK
  // packages are optional peers (27 MB), installed by those who turn tracing on.
  loaded.catch((error: unknown) => {
    process.emitWarning(
      `tracing is on but OpenTelemetry could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); requests go untraced. Install: npm install ${TRACING_PACKAGES.join(' ')}`,
      { code: 'TETHER_TRACING_UNAVAILABLE' },
    );
  });
  return {
    request: (next) => async (call) => {
      const tracing = await loaded.catch(() => undefined);
      return tracing === undefined ? next(call) : (tracing.request(next as never)(call as never) as Promise<R>);
    },
    attempt: (next) => async (call) => {
      const tracing = await loaded.catch(() => undefined);
      return tracing === undefined ? next(call) : (tracing.attempt(next as never)(call as never) as Promise<AR>);
    },
    async close() {
      const tracing = await loaded.catch(() => undefined);
      await tracing?.close();
    },
  };
}
