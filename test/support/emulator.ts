// One Together emulator per test file, with the keys and model ids the tests share (test/support: what tests share).
import { startEmulator } from '../../src/emulator/index.js';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type EmulatorOptions = NonNullable<Parameters<typeof startEmulator>[0]>;

/** API keys the test emulator knows. None of them is a real key. */
export const KEYS = {
  /** Plenty of requests, tokens and credit: the happy path and most error rows. */
  main: 'tk-e2e-main',
  /** 1 request/s: a burst of concurrent requests gets 429. */
  burst: 'tk-e2e-burst',
  /** 1 request/s, used only by the "SDK waits out retry-after" test so its budget is predictable. */
  retry: 'tk-e2e-retry',
  /** No credit left: every billable request gets 402. */
  broke: 'tk-e2e-broke',
  /** Never configured: 401. */
  unknown: 'tk-e2e-not-a-key',
} as const;

/** Model ids from data/together-models.json, chosen for the row of DESIGN.md's error table they exercise. */
export const MODELS = {
  chat: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  language: 'mistralai/Mixtral-8x7B-v0.1',
  embedding: 'BAAI/bge-base-en-v1.5',
  /** 8,192-token context: `max_tokens: 9000` cannot fit. */
  smallContext: 'meta-llama/Meta-Llama-3-8B-Instruct-Lite',
  smallContextLength: 8192,
  /** Exists in the catalog but only on dedicated endpoints: 400 `model_not_available`. */
  nonServerless: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
  /** Deprecated with no dedicated option. */
  deprecated: 'perplexity-ai/r1-1776',
  /** Not in any list: 404 `model_not_found`. */
  unknown: 'acme-labs/no-such-model-7b',
  /** Gets a 100% 503 fault in the overload tests, so other tests in the same file are untouched. */
  overloaded: 'Qwen/Qwen2.5-7B-Instruct-Turbo',
} as const;

export function testKeys(): EmulatorOptions['keys'] {
  const base = { tokensPerMinute: 1_000_000, tier: 1 };
  return [
    { key: KEYS.main, requestsPerSecond: 1000, creditsUsd: 100, ...base },
    { key: KEYS.burst, requestsPerSecond: 1, creditsUsd: 100, ...base },
    { key: KEYS.retry, requestsPerSecond: 1, creditsUsd: 100, ...base },
    { key: KEYS.broke, requestsPerSecond: 1000, creditsUsd: 0, ...base },
  ];
}

/** Starts an emulator on 127.0.0.1 and a random free port with the shared test keys. */
export function startTestEmulator(): Promise<Emulator> {
  return startEmulator({ port: 0, seed: 1, keys: testKeys(), faults: [] });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Media type without parameters, e.g. `text/event-stream`. */
  mediaType: string;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface RawRequest {
  /** Bearer key; `null` sends no Authorization header at all. */
  key?: string | null;
  body?: unknown;
}

/** One plain HTTP call to the emulator (no SDK), for checking wire shapes. `path` is relative to /v1. */
export async function rawCall(emu: Emulator, method: string, path: string, request: RawRequest = {}): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  const key = request.key === undefined ? KEYS.main : request.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${emu.baseUrl}${path}`, {
    method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return { status: response.status, headers: response.headers, mediaType, text, json };
}

export { chatBody } from './bodies.js';
