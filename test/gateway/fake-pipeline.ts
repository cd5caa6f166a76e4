// A scriptable stand-in for the pipeline (the contract in src/pipeline/contract.ts): tests decide what each send
// returns and can see every request, every cancellation and every close.
import { TogetherError } from '../../src/errors/index.js';
import type { ErrorCategory } from '../../src/errors/index.js';
import { PolicyEvents } from '../../src/policy/index.js';
import type { Pipeline, PipelineRequest, PipelineResult, StreamResult, UsageRecord } from '../../src/gateway/pipeline.js';
import type { PipelineFactory, PipelineSettings } from '../../src/gateway/index.js';

export type Responder = (request: PipelineRequest, pipeline: FakePipeline) => Promise<PipelineResult> | PipelineResult;

export class FakePipeline implements Pipeline {
  readonly events = new PolicyEvents();
  readonly requests: PipelineRequest[] = [];
  closed = false;
  /** Streams whose consumer stopped early (break/return) or whose signal aborted. */
  cancelledStreams = 0;

  constructor(
    readonly settings: PipelineSettings,
    public responder: Responder = (request) => okJson(request),
  ) {}

  async send(request: PipelineRequest): Promise<PipelineResult> {
    this.requests.push(request);
    return this.responder(request, this);
  }

  async listModels(): Promise<unknown[]> {
    return [{ id: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', object: 'model', type: 'chat' }];
  }

  state() {
    return { pacing: [], breakers: [{ model: 'some/model', state: 'open' as const }] };
  }

  /** Keys passed to resetKey (undefined: the default key). */
  readonly resetKeys: Array<string | undefined> = [];

  resetKey(apiKey?: string): boolean {
    this.resetKeys.push(apiKey);
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A factory that records every pipeline it builds; `responder` is given to each. */
export function fakeFactory(responder?: Responder): PipelineFactory & { built: FakePipeline[] } {
  const built: FakePipeline[] = [];
  const factory = (settings: PipelineSettings): Pipeline => {
    const pipeline = new FakePipeline(settings, responder);
    built.push(pipeline);
    return pipeline;
  };
  return Object.assign(factory, { built });
}

function modelOf(request: PipelineRequest): string {
  return String((request.body as { model?: unknown }).model ?? 'unknown');
}

export function okJson(request: PipelineRequest, extra: Partial<UsageRecord> = {}): PipelineResult {
  const model = modelOf(request);
  const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
  return {
    kind: 'json',
    status: 200,
    model,
    requestedModel: model,
    headers: { 'x-request-id': 'together-req-1', 'x-ratelimit-remaining': '9' },
    attempts: 1,
    requestId: request.requestId,
    body: { id: 'cmpl-1', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage },
    record: { model, usage, costUsd: 0.0001, ...extra },
  };
}

export function chunk(model: string, content: string, last = false): unknown {
  return {
    id: 'chunk-1',
    object: 'chat.completion.chunk',
    model,
    choices: [{ index: 0, delta: { content }, finish_reason: last ? 'stop' : null }],
    ...(last ? { usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } } : {}),
  };
}

export interface StreamScript {
  chunks: unknown[];
  /** Delay before each chunk. */
  delayMs?: number;
  /** Throw this after the chunks instead of ending. */
  failWith?: TogetherError;
  /** Never end after the chunks (until cancelled). */
  hang?: boolean;
}

/** A stream result following the contract: a cut throws, breaking out or the signal aborting cancels. */
export function streamResult(request: PipelineRequest, pipeline: FakePipeline, script: StreamScript): StreamResult {
  const model = modelOf(request);
  let settle!: (record: UsageRecord) => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<UsageRecord>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const signal = request.signal;
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  async function* chunks(): AsyncGenerator<unknown> {
    let finished = false;
    try {
      for (const value of script.chunks) {
        if (script.delayMs) await wait(script.delayMs);
        yield value;
      }
      if (script.failWith) throw script.failWith;
      if (script.hang) await wait(60_000);
      finished = true;
      settle({ model, usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 }, costUsd: 0.00002 });
    } finally {
      if (!finished) {
        if (!script.failWith) pipeline.cancelledStreams++;
        fail(script.failWith ?? new Error('cancelled'));
      }
    }
  }
  return { kind: 'stream', status: 200, model, requestedModel: model, headers: { 'x-request-id': 'together-stream-1' }, attempts: 1, chunks: chunks(), done };
}

export function togetherError(category: ErrorCategory, fields: Partial<ConstructorParameters<typeof TogetherError>[0]> = {}): TogetherError {
  return new TogetherError({
    category,
    message: `${category} failure`,
    cause: 'because the test said so',
    fix: 'Do the thing \u2014 then retry\u2026',
    retryable: false,
    ...fields,
  });
}
