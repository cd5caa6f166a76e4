// The tracing layers with a caller's own tracer provider (an in-memory exporter): a span per request and per
// attempt, retry and fallback attributes, a stream's time to first chunk and its span ending with the stream, the
// traceparent each attempt sends; and off by default, with nothing of OpenTelemetry on the hot path.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resolveTracing, tracingLayers } from '../../src/tracing/index.js';
import { FALLBACK, MODEL, chatBody, drain, harness, modelOf } from '../pipeline/helpers.js';
import { chatChunks, chatJson, errorBody } from '../pipeline/fake-transport.js';

function provider(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { provider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), exporter };
}

const byStart = (a: ReadableSpan, b: ReadableSpan): number => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

describe('tracing layers', () => {
  test('a request span, an attempt span per attempt; retry and fallback say why; traceparent sent per attempt', async () => {
    const { provider: tracerProvider, exporter } = provider();
    const h = harness(
      (request) =>
        modelOf(request.body) === MODEL
          ? { kind: 'error', status: 503, body: errorBody('The server is overloaded.', 'server_error') }
          : { kind: 'json', body: chatJson(FALLBACK) },
      { tracing: { tracerProvider }, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } },
    );
    const result = await h.pipeline.send({ endpoint: 'chat', body: chatBody() });
    assert.equal(result.model, FALLBACK);
    await h.pipeline.close();
    const spans = exporter.getFinishedSpans().sort(byStart);
    const request = spans.find((s) => s.parentSpanContext === undefined)!;
    assert.ok(request, 'a root request span');
    assert.equal(request.attributes['gen_ai.request.model'], MODEL);
    assert.equal(request.attributes['gen_ai.response.model'], FALLBACK);
    const attempts = spans.filter((s) => s.parentSpanContext?.spanId === request.spanContext().spanId);
    assert.equal(attempts.length, 3);
    assert.equal(attempts[0]!.attributes['tether.error.category'], 'overloaded');
    assert.equal(attempts[1]!.attributes['tether.retry.reason'], 'overloaded');
    assert.equal(attempts[2]!.attributes['tether.fallback.from'], MODEL);
    assert.equal(attempts[2]!.attributes['tether.fallback.reason'], 'overloaded');
    assert.equal(typeof attempts[2]!.attributes['tether.pacing.wait_ms'], 'number');
    // Each attempt's own span went upstream as its traceparent.
    const sent = h.transport.calls.map((call) => (call.headers as Record<string, string> | undefined)?.['traceparent']);
    assert.deepEqual(
      sent,
      attempts.map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`),
    );
  });

  test('a stream: time to first chunk on the attempt, and both spans end when the stream ends', async () => {
    const { provider: tracerProvider, exporter } = provider();
    const h = harness(() => ({ kind: 'sse', chunks: chatChunks(MODEL, ['Hel', 'lo', '.']) }), { tracing: { tracerProvider } });
    const result = await h.pipeline.send({ endpoint: 'chat', body: chatBody({ stream: true }) });
    assert.equal(result.kind, 'stream');
    assert.equal(exporter.getFinishedSpans().length, 0, 'nothing ends before the stream is read');
    if (result.kind === 'stream') await drain(result.chunks);
    await h.pipeline.close();
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 2);
    const attempt = spans.find((s) => s.parentSpanContext !== undefined)!;
    assert.equal(typeof attempt.attributes['tether.stream.time_to_first_chunk_ms'], 'number');
  });

  test("the caller's traceparent is continued; a malformed one is ignored", async () => {
    const { provider: tracerProvider, exporter } = provider();
    const h = harness(() => ({ kind: 'json', body: chatJson(MODEL) }), { tracing: { tracerProvider } });
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await h.pipeline.send({ endpoint: 'chat', body: chatBody(), traceparent: `00-${trace}-00f067aa0ba902b7-01` });
    await h.pipeline.send({ endpoint: 'chat', body: chatBody(), traceparent: '00-not-a-trace-01' });
    await h.pipeline.close();
    const roots = exporter.getFinishedSpans().filter((s) => s.attributes['tether.attempt'] === undefined);
    assert.equal(roots.length, 2);
    assert.equal(roots.filter((s) => s.spanContext().traceId === trace && s.parentSpanContext?.spanId === '00f067aa0ba902b7').length, 1);
  });

  test('off by default; on with the standard variables; OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none win', () => {
    assert.equal(resolveTracing(undefined, {}), undefined);
    assert.deepEqual(resolveTracing(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), {});
    assert.deepEqual(resolveTracing(undefined, { OTEL_TRACES_EXPORTER: 'otlp' }), {});
    assert.equal(resolveTracing(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' }), undefined);
    assert.equal(resolveTracing(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_TRACES_EXPORTER: 'none' }), undefined);
    assert.equal(resolveTracing(false, { OTEL_TRACES_EXPORTER: 'otlp' }), undefined);
    if (process.env['OTEL_TRACES_EXPORTER'] === undefined && process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] === undefined) {
      assert.equal(tracingLayers(undefined), undefined);
    }
  });

  test('nothing in src/ imports @opentelemetry at run time except src/tracing/otel.ts (loaded lazily)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && path !== join('src', 'tracing', 'otel.ts')) {
          const text = readFileSync(path, 'utf8');
          if (/^import\s+(?!type\b)[^;]*from\s+'@opentelemetry\//m.test(text) || /import\('@opentelemetry\//.test(text)) offenders.push(path);
        }
      }
    };
    walk('src');
    assert.deepEqual(offenders, []);
  });
});
