// Shared helpers for the batch tests: input files, a deterministic fake pipeline `send`, temp dirs.
import { chatBody as sharedChatBody } from '../support/bodies.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TogetherError } from '../../src/errors/index.js';
import type { PipelineRequest, PipelineResult } from '../../src/pipeline/contract.js';

export const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

/** The shared chat body (test/support) for MODEL, numbered. */
export function chatBody(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return sharedChatBody(MODEL, { messages: [{ role: 'user', content: `Question number ${i}?` }], max_tokens: 8, ...extra });
}

/** `n` lines of `{"custom_id": "req-<i>", "body": ...}`. */
export function inputLines(n: number): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `req-${i}`, body: chatBody(i) })).join('\n') + '\n';
}

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeInput(dir: string, text: string, name = 'in.jsonl'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export function billingError(): TogetherError {
  return new TogetherError({
    status: 402,
    category: 'billing',
    message: 'Credit limit exceeded.',
    cause: 'no credit',
    fix: 'add credit',
    retryable: false,
  });
}

export interface FakeSend {
  send: (request: PipelineRequest) => Promise<PipelineResult>;
  /** request ids (custom_ids) in the order they were sent. */
  sent: string[];
  /** Let calls succeed again after a billing stop. */
  refill(): void;
}

/**
 * A deterministic pipeline: the response depends only on the request body, costs $0.001, and after `creditsFor`
 * successful calls every call fails with a 402. `failIds` fail with a permanent validation error.
 */
export function fakeSend(options: { creditsFor?: number; delayMs?: (i: number) => number; failIds?: Set<string> } = {}): FakeSend {
  const sent: string[] = [];
  let credits = options.creditsFor ?? Infinity;
  return {
    sent,
    refill() {
      credits = Infinity;
    },
    async send(request) {
      const n = sent.length;
      sent.push(request.requestId ?? '?');
      const wait = options.delayMs?.(n) ?? 0;
      await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
      if (credits <= 0) throw billingError();
      const body = request.body as { messages: Array<{ content: string }>; model: string };
      if (options.failIds?.has(request.requestId ?? '')) {
        throw new TogetherError({ status: 400, category: 'validation', message: 'bad request', cause: 'c', fix: 'f', retryable: false });
      }
      credits--;
      const text = `echo: ${body.messages[0]?.content}`;
      return {
        kind: 'json',
        status: 200,
        model: body.model,
        requestedModel: body.model,
        headers: {},
        attempts: 1,
        body: { object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: text } }] },
        record: { model: body.model, costUsd: 0.001 },
      };
    },
  };
}
