// Shared helpers for the emulator tests: plain HTTP calls and an SSE parser written from the wire format
// (not the emulator's own code), so the tests check what a client would see.
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/index.js';

/** A serverless llama3_1-family chat model with a 131072-token context (one tokenizer load per test file). */
export const CHAT_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
export const OTHER_CHAT_MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
export const KEY = 'test-key';

export function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    keys: [{ key: KEY, name: 'main', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }],
    ...options,
  });
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test bodies are inspected field by field
}

export interface CallOptions {
  method?: string;
  /** Bearer key; null sends none. */
  key?: string | null;
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string;
  signal?: AbortSignal;
}

export async function call(emu: RunningEmulator, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${emu.url}${path}`, {
    method: options.method ?? (options.body === undefined && options.rawBody === undefined ? 'GET' : 'POST'),
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

export function chat(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: CHAT_MODEL, messages: [{ role: 'user', content: 'Tell me about rate limits.' }], max_tokens: 12, ...extra };
}

export interface ParsedSse {
  /** Parsed JSON of each `data:` event before [DONE]. */
  events: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  done: boolean;
  /** Events after [DONE] or lines that are not `data:` lines: should be empty. */
  stray: string[];
}

/** Parse an SSE body: events are separated by a blank line, each a single `data: ` line. */
export function parseSse(text: string): ParsedSse {
  const out: ParsedSse = { events: [], done: false, stray: [] };
  for (const block of text.split('\n\n')) {
    if (block === '') continue;
    if (!block.startsWith('data: ') || block.includes('\n')) {
      out.stray.push(block);
      continue;
    }
    const data = block.slice('data: '.length);
    if (out.done) out.stray.push(block);
    else if (data === '[DONE]') out.done = true;
    else out.events.push(JSON.parse(data));
  }
  return out;
}

export interface StreamRead {
  status: number;
  headers: Headers;
  text: string;
  /** The read error when the connection broke mid-body. */
  error?: unknown;
  /** ms from the request to each received piece of the body. */
  arrivals: number[];
}

/** POST and read the body piece by piece, keeping what arrived before any break. */
export async function readStream(emu: RunningEmulator, path: string, body: unknown, signal?: AbortSignal): Promise<StreamRead> {
  const started = performance.now();
  const response = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  const result: StreamRead = { status: response.status, headers: response.headers, text: '', arrivals: [] };
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      result.text += decoder.decode(value, { stream: true });
      result.arrivals.push(performance.now() - started);
    }
  } catch (error) {
    result.error = error;
  }
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
