// Shared helpers for the gateway tests: a gateway on 127.0.0.1:0 with a fake pipeline and a log captured in
// memory, and plain HTTP calls.
import { chatBody as sharedChatBody } from '../support/bodies.js';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createGateway } from '../../src/gateway/index.js';
import type { GatewayFileConfig, RunningGateway } from '../../src/gateway/index.js';
import { fakeFactory } from './fake-pipeline.js';
import type { Responder } from './fake-pipeline.js';

export const UPSTREAM_KEY = 'tg-upstream-secret-key-0001';

export interface TestGateway {
  gateway: RunningGateway;
  factory: ReturnType<typeof fakeFactory>;
  /** Every log line so far, parsed. */
  logs(): Record<string, unknown>[];
  /** The raw log text (to check no secret appears). */
  logText(): string;
}

export function memoryLogger(): { logger: pino.Logger; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { logger: pino({ level: 'debug', base: undefined }, sink), text: () => text };
}

export async function startTestGateway(config: GatewayFileConfig = {}, responder?: Responder): Promise<TestGateway> {
  const factory = fakeFactory(responder);
  const { logger, text } = memoryLogger();
  const gateway = await createGateway(
    { port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' }, ...config },
    { pipelineFactory: factory, logger, env: {} },
  );
  return {
    gateway,
    factory,
    logText: text,
    logs: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- bodies are inspected field by field
}

export interface CallOptions {
  method?: string;
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function call(gateway: RunningGateway, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  if (hasBody) headers['content-type'] = 'application/json';
  const response = await fetch(`${gateway.url}${path}`, {
    method: options.method ?? (hasBody ? 'POST' : 'GET'),
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const CHAT_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

/** The shared chat body (test/support) for CHAT_MODEL, short. */
export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return sharedChatBody(CHAT_MODEL, { messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, ...extra });
}

/**
 * Reads a response body to its end or its failure: the text that arrived, and the error that ended it when the
 * connection was cut before the body's end (what every HTTP client sees of a stream the gateway cut).
 */
export async function readToEnd(response: Response): Promise<{ text: string; error: unknown }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), error: undefined };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** Splits an SSE body into its data payloads (strings), in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is true or `timeoutMs` passes. */
export async function until(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}
