// Shared setup for the pipeline's unit tests: a pipeline over the fake transport with fast policies, an event log,
// and a check that nothing (timers, immediates) outlives a test.
import { chatBody as sharedChatBody } from '../support/bodies.js';
import { createPipeline } from '../../src/pipeline/index.js';
import type { Pipeline, PipelineOptions } from '../../src/pipeline/index.js';
import type { PolicyEvent } from '../../src/policy/index.js';
import { fakeTransport } from './fake-transport.js';
import type { FakeTransport, Script } from './fake-transport.js';

export const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
/** The first model of MODEL's default fallback route. */
export const FALLBACK = 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo';
export const KEY = 'sk-unit-test-key-0123456789';

/** The model a sent body names, whether it went as JSON text (the caller's bytes) or as an object. */
export function modelOf(body: unknown): string {
  return (typeof body === 'string' ? (JSON.parse(body) as { model: string }) : (body as { model: string })).model;
}

/** The shared chat body (test/support) for MODEL. */
export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return sharedChatBody(MODEL, { messages: [{ role: 'user', content: 'Say hello.' }], ...extra });
}

export interface Harness {
  pipeline: Pipeline;
  transport: FakeTransport;
  events: PolicyEvent[];
  /** Names of the events, in order. */
  names(): string[];
}

export function harness(script: Script, options: PipelineOptions = {}): Harness {
  const transport = fakeTransport(script);
  const pipeline = createPipeline({
    apiKey: KEY,
    transport,
    env: {},
    preloadTokenizers: false,
    pacing: { requestsPerSecond: 10_000 },
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    ...options,
  });
  const events: PolicyEvent[] = [];
  pipeline.events.onAny((event) => {
    events.push(event);
  });
  return { pipeline, transport, events, names: () => events.map((e) => e.type) };
}

/** Timers and immediates alive now (what a test must leave as it found). */
export function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout' || name === 'Immediate').length;
}

/** Lets pending callbacks (a closed stream's cleanup, a cleared timer) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Reads a stream result's chunks; resolves with them, or with the error the iterator threw. */
export async function drain(chunks: AsyncIterable<unknown>): Promise<{ chunks: unknown[]; error?: unknown }> {
  const out: unknown[] = [];
  try {
    for await (const chunk of chunks) out.push(chunk);
    return { chunks: out };
  } catch (error) {
    return { chunks: out, error };
  }
}
