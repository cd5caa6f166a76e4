// A scriptable Transport for the pipeline's unit and property tests: each inference call gets the answer a script
// chooses (JSON, an error status, an SSE stream that may be cut or go silent, a thrown network error, a hang), and
// honours its AbortSignal the way the real transport does (rejecting with the signal's reason, mid-body included).
import type { RawResponse, ResponseBody, SendRequest, Transport } from '../../src/api/index.js';
import { classifyNetworkError } from '../../src/errors/index.js';
import type { ModelInfo } from '../../src/api/index.js';
import { loadSnapshot } from '../../src/catalog/index.js';

export type FakeAnswer =
  | { kind: 'json'; status?: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'sse'; chunks: unknown[]; cutAfter?: number; stallAfter?: number; headers?: Record<string, string> }
  /** A socket failure before any response (ECONNRESET). */
  | { kind: 'reset' }
  /** No answer at all until the request's signal aborts. */
  | { kind: 'hang' };

export type Script = (request: SendRequest, call: number) => FakeAnswer;

export interface FakeTransport extends Transport {
  /** Inference calls made (POST), in order. */
  readonly calls: SendRequest[];
  closed: boolean;
}

function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal === undefined) return;
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

const encoder = new TextEncoder();

function bodyOf(parts: string[], end: 'close' | 'cut' | 'stall', signal: AbortSignal | undefined): ResponseBody {
  let used = false;
  async function* iterate(): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      if (signal?.aborted) throw signal.reason;
      await new Promise((resolve) => setImmediate(resolve));
      yield encoder.encode(part);
    }
    if (end === 'cut') throw classifyNetworkError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    if (end === 'stall') await aborted(signal);
  }
  return {
    get used() {
      return used;
    },
    async text() {
      used = true;
      let out = '';
      for await (const chunk of iterate()) out += new TextDecoder().decode(chunk);
      return out;
    },
    async json() {
      return JSON.parse(await this.text()) as unknown;
    },
    async dump() {
      used = true;
    },
    [Symbol.asyncIterator]() {
      used = true;
      return iterate();
    },
  };
}

/** The bundled snapshot as a live `/models` list. */
export function snapshotModels(): ModelInfo[] {
  return loadSnapshot().models.map((m) => ({
    id: m.id,
    object: 'model' as const,
    created: 0,
    type: m.type,
    context_length: m.context_length,
    pricing: { input: m.pricing.input, output: m.pricing.output },
  }));
}

export function chatJson(model: string, content = 'Hello.'): unknown {
  return {
    id: 'cmpl-1',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
    usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
  };
}

export function chatChunks(model: string, words: string[]): unknown[] {
  const chunks: unknown[] = [{ id: 's', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] }];
  words.forEach((word, i) => {
    const last = i === words.length - 1;
    chunks.push({
      id: 's',
      object: 'chat.completion.chunk',
      created: 0,
      model,
      choices: [{ index: 0, delta: { content: word }, finish_reason: last ? 'stop' : null }],
      usage: last ? { prompt_tokens: 10, completion_tokens: words.length, total_tokens: 10 + words.length } : null,
    });
  });
  return chunks;
}

export function errorBody(message: string, type = 'server_error', code: string | null = null): unknown {
  return { id: 'err-1', error: { message, type, param: null, code } };
}

export function fakeTransport(script: Script): FakeTransport {
  const calls: SendRequest[] = [];
  const transport: FakeTransport = {
    baseUrl: 'http://fake.invalid/v1',
    calls,
    closed: false,
    async send(request) {
      if (request.signal?.aborted) throw request.signal.reason;
      const url = `http://fake.invalid/v1${request.path}`;
      if (request.method === 'GET' && request.path === '/models') {
        return { status: 200, headers: { 'content-type': 'application/json' }, body: bodyOf([JSON.stringify(snapshotModels())], 'close', undefined), url };
      }
      calls.push(request);
      const answer = script(request, calls.length);
      await new Promise((resolve) => setImmediate(resolve));
      if (request.signal?.aborted) throw request.signal.reason;
      const signal = request.signal;
      let response: RawResponse;
      switch (answer.kind) {
        case 'reset':
          throw classifyNetworkError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), { model: request.model });
        case 'hang':
          return aborted(signal);
        case 'json':
        case 'error':
          response = {
            status: answer.status ?? 200,
            headers: { 'content-type': 'application/json', ...answer.headers },
            body: bodyOf([JSON.stringify(answer.body ?? {})], 'close', signal),
            url,
          };
          return response;
        case 'sse': {
          const limit = answer.cutAfter ?? answer.stallAfter ?? answer.chunks.length;
          const parts = answer.chunks.slice(0, limit).map((c) => `data: ${JSON.stringify(c)}\n\n`);
          const end = answer.cutAfter !== undefined ? 'cut' : answer.stallAfter !== undefined ? 'stall' : 'close';
          if (end === 'close') parts.push('data: [DONE]\n\n');
          return { status: 200, headers: { 'content-type': 'text/event-stream', ...answer.headers }, body: bodyOf(parts, end, signal), url };
        }
      }
    },
    async close() {
      transport.closed = true;
    },
  };
  return transport;
}
