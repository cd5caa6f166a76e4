// Tracing end to end: the gateway, with tracing on through the standard OpenTelemetry variables, exports to an
// OTLP/HTTP receiver this test runs on 127.0.0.1. A request that is retried once (503) and falls back once gives one
// trace: the request span (continuing the client's traceparent) and three attempt spans with the GenAI attributes;
// the traceparent each attempt sent, as the emulator saw it, names that attempt's span. Then the same with no OTEL_*
// variable at all: the gateway config's `tracing` turns it on (and `tracing: false` keeps it off despite them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway } from '../../src/gateway/index.js';
import type { GatewayFileConfig, RunningGateway } from '../../src/gateway/index.js';
import { KEYS, MODELS, chatBody, startTestEmulator } from '../support/index.js';
import type { Emulator } from '../support/index.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: OtlpValue }[];
}

/** The spans of every OTLP/HTTP JSON export received (resourceSpans → scopeSpans → spans), and their services. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; services: string[]; contentTypes: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const services: string[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource?: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resource of body.resourceSpans) {
        const service = resource.resource?.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        if (service !== undefined) services.push(service);
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    services,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function attribute(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  if (value === undefined) return undefined;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

/** OTLP JSON carries ids as hex (the JSON mapping of the protobuf bytes fields). */
function hex(id: string): string {
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

const FALLBACK = MODELS.chat;
const PRIMARY = MODELS.overloaded;
const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

describe('gateway tracing (OpenTelemetry over OTLP/HTTP)', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    receiver = await startReceiver();
    // The standard variables, read by the pipeline's tracing layer like any OpenTelemetry SDK reads them.
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = receiver.url;
    process.env['OTEL_SERVICE_NAME'] = 'tether-gateway-test';
    emu = await startTestEmulator();
    gateway = await createGateway(
      {
        port: 0,
        logLevel: 'silent',
        upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main },
        routes: { [PRIMARY]: [FALLBACK] },
        policies: { retries: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } },
      },
      { env: {} },
    );
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
    await receiver?.close();
    delete process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    delete process.env['OTEL_SERVICE_NAME'];
  });

  test('one trace: the request span and three attempt spans (503, retried 503, fallback 200); traceparents match', async () => {
    emu.setFaults([{ kind: 'status', status: 503, rate: 1, model: PRIMARY }]);
    const response = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` },
      body: JSON.stringify(chatBody(PRIMARY, { max_tokens: 5 })),
    });
    const body = (await response.json()) as { model: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    const seen = emu.stats().traceparents;
    emu.setFaults([]);
    // Closing the gateway closes its pipeline, which flushes the batch of spans to the receiver.
    await gateway.close();

    const spans = receiver.spans.filter((s) => hex(s.traceId) === CLIENT_TRACE);
    assert.equal(new Set(receiver.spans.map((s) => hex(s.traceId))).size, 1, 'every span is in the one trace');
    assert.match(receiver.contentTypes[0] ?? '', /application\/json/);
    const requestSpan = spans.find((s) => s.parentSpanId !== undefined && hex(s.parentSpanId) === CLIENT_SPAN);
    assert.ok(requestSpan, `a request span continuing the client's trace: ${JSON.stringify(spans.map((s) => s.name))}`);
    assert.equal(attribute(requestSpan, 'gen_ai.operation.name'), 'chat');
    assert.equal(attribute(requestSpan, 'gen_ai.provider.name'), 'together');
    assert.equal(attribute(requestSpan, 'gen_ai.request.model'), PRIMARY);
    assert.equal(attribute(requestSpan, 'gen_ai.response.model'), FALLBACK);
    assert.equal(attribute(requestSpan, 'tether.attempts'), 3);
    assert.ok(Number(attribute(requestSpan, 'gen_ai.usage.input_tokens')) > 0, 'input tokens');
    assert.ok(Number(attribute(requestSpan, 'gen_ai.usage.output_tokens')) > 0, 'output tokens');

    const attempts = spans.filter((s) => s.parentSpanId !== undefined && hex(s.parentSpanId) === hex(requestSpan.spanId));
    assert.equal(attempts.length, 3, JSON.stringify(attempts.map((s) => s.name)));
    const [first, retried, fallback] = [
      attempts.find((s) => attribute(s, 'gen_ai.request.model') === PRIMARY && attribute(s, 'tether.attempt') === 1)!,
      attempts.find((s) => attribute(s, 'gen_ai.request.model') === PRIMARY && attribute(s, 'tether.attempt') === 2)!,
      attempts.find((s) => attribute(s, 'gen_ai.request.model') === FALLBACK)!,
    ];
    assert.ok(first && retried && fallback, 'two attempts on the primary, one on the fallback');
    assert.equal(typeof attribute(first, 'error.type'), 'string', 'the failed attempt has error.type');
    assert.equal(attribute(first, 'tether.error.category'), 'overloaded');
    assert.equal(attribute(retried, 'tether.retry.reason'), 'overloaded');
    assert.equal(typeof attribute(retried, 'tether.retry.delay_ms'), 'number');
    assert.equal(attribute(fallback, 'tether.fallback.from'), PRIMARY);
    assert.equal(attribute(fallback, 'tether.fallback.to'), FALLBACK);
    assert.equal(attribute(fallback, 'gen_ai.response.model'), FALLBACK);
    assert.equal(attribute(fallback, 'error.type'), undefined);
    assert.equal(attribute(fallback, 'tether.breaker.state'), 'closed');
    for (const span of attempts) {
      assert.equal(attribute(span, 'gen_ai.provider.name'), 'together');
      assert.equal(attribute(span, 'gen_ai.operation.name'), 'chat');
    }

    // Each attempt sent its own span as traceparent; the emulator saw exactly those three.
    const expected = [first, retried, fallback].map((s) => `00-${CLIENT_TRACE}-${hex(s.spanId)}-01`);
    assert.deepEqual(seen.slice(-3), expected);
  });
});

describe('gateway tracing turned on by the gateway config (no OTEL_* variables)', () => {
  let emu: Emulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const saved = new Map<string, string | undefined>();

  before(async () => {
    // Nothing in the environment may turn tracing on: only the config does here.
    for (const name of Object.keys(process.env).filter((n) => n.startsWith('OTEL_'))) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
    receiver = await startReceiver();
    emu = await startTestEmulator();
  });
  after(async () => {
    await emu?.close();
    await receiver?.close();
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  });

  async function serveOne(tracing: GatewayFileConfig['tracing']): Promise<string[]> {
    const gateway = await createGateway(
      { port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main }, tracing },
      { env: {} },
    );
    const before = emu.stats().traceparents.length;
    try {
      const response = await fetch(`${gateway.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chatBody(FALLBACK, { max_tokens: 5 })),
      });
      assert.equal(response.status, 200, await response.text());
    } finally {
      await gateway.close();
    }
    return emu.stats().traceparents.slice(before);
  }

  test('`tracing: { endpoint, serviceName }` exports the request and attempt spans to that receiver', async () => {
    const sent = await serveOne({ endpoint: receiver.url, serviceName: 'tether-gateway-config-test' });
    assert.ok(receiver.spans.length >= 2, `spans received: ${receiver.spans.length}`);
    assert.deepEqual([...new Set(receiver.services)], ['tether-gateway-config-test']);
    const request = receiver.spans.find((s) => attribute(s, 'tether.attempts') === 1);
    assert.ok(request, JSON.stringify(receiver.spans.map((s) => s.name)));
    assert.equal(attribute(request, 'gen_ai.request.model'), FALLBACK);
    const attempt = receiver.spans.find((s) => s.parentSpanId !== undefined && hex(s.parentSpanId) === hex(request.spanId));
    assert.ok(attempt, 'an attempt span under the request span');
    // The attempt's own span went upstream as its traceparent.
    assert.deepEqual(sent, [`00-${hex(attempt.traceId)}-${hex(attempt.spanId)}-01`]);
  });

  test('`tracing: false` keeps it off even with the OTEL_* variables set', async () => {
    const received = receiver.spans.length;
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] = receiver.url;
    try {
      const sent = await serveOne(false);
      assert.deepEqual(sent, [], 'no traceparent upstream');
      assert.equal(receiver.spans.length, received, 'no span exported');
    } finally {
      delete process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    }
  });
});
