// Streamed responses. An attempt's stream is read up to its first content chunk before the pipeline commits to it:
// anything that goes wrong until then (a cut, an error frame, the idle timeout) fails the attempt, which the
// pipeline retries or falls back from like any other. After the commit the caller holds the stream, and a failure
// is thrown from its iterator as a TogetherError — never a clean end.
import { isSSEStreamError, parseSSE } from '../api/index.js';
import type { RawResponse, Usage } from '../api/index.js';
import { classifyNetworkError, isTogetherError } from '../errors/index.js';
import type { Scrubber, TogetherError } from '../errors/index.js';
import type { AttemptScope } from '../policy/index.js';
import { abortError, streamError } from './errors.js';
import { usageOf } from './usage.js';

function nonEmpty(value: unknown): boolean {
  return (typeof value === 'string' && value !== '') || (Array.isArray(value) && value.length > 0);
}

/** Whether a chunk carries something for the caller (text, reasoning, a tool call, an end) beyond a role header. */
export function carriesContent(chunk: unknown): boolean {
  const choices = (chunk as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return true;
  if ((chunk as { usage?: unknown }).usage) return true;
  return choices.some((choice: unknown) => {
    const c = (choice ?? {}) as { text?: unknown; finish_reason?: unknown; delta?: Record<string, unknown> };
    const delta = c.delta ?? {};
    return (
      nonEmpty(c.text) ||
      nonEmpty(delta['content']) ||
      nonEmpty(delta['reasoning']) ||
      nonEmpty(delta['tool_calls']) ||
      (c.finish_reason !== undefined && c.finish_reason !== null)
    );
  });
}

/** Raw body chunks, each one (re)starting the idle timer. */
async function* touching(body: AsyncIterable<Uint8Array>, scope: AttemptScope): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    scope.touch();
    yield chunk;
  }
}

/** A failure while reading, as a TogetherError: the scope's own reason when it aborted (a timeout or the caller). */
export function readFailure(error: unknown, scope: AttemptScope, committed: boolean, model: string): TogetherError {
  if (scope.signal.aborted) {
    const reason: unknown = scope.signal.reason;
    return isTogetherError(reason) ? reason : abortError(reason, model);
  }
  if (isSSEStreamError(error)) return streamError(error, committed, model);
  return isTogetherError(error) ? error : classifyNetworkError(error, { model });
}

/** A stream read up to its commit point. */
export interface OpenedStream {
  /** Chunks read before the commit (role headers, then the first content chunk), to be replayed first. */
  prefix: unknown[];
  /** The rest of the stream, undefined when `[DONE]` already arrived. */
  rest: AsyncGenerator<unknown, void, undefined> | undefined;
  /** Usage seen so far (the last chunk before [DONE] carries it). */
  usage: Usage | undefined;
}

/** Reads until the first content chunk (or the end). Rejects with a retryable-as-classified TogetherError. */
export async function openStream(response: RawResponse, scope: AttemptScope, model: string, scrubber?: Scrubber, maxEventBytes?: number): Promise<OpenedStream> {
  const sse = parseSSE(touching(response.body, scope), {
    signal: scope.signal,
    ...(scrubber !== undefined && scrubber.secrets.length > 0 ? { scrub: scrubber.exact } : {}),
    ...(maxEventBytes !== undefined ? { maxEventBytes } : {}),
  });
  const prefix: unknown[] = [];
  let usage: Usage | undefined;
  try {
    for (;;) {
      const next = await sse.next();
      if (next.done) return { prefix, rest: undefined, usage };
      prefix.push(next.value);
      usage = usageOf(next.value) ?? usage;
      if (carriesContent(next.value)) return { prefix, rest: sse, usage };
    }
  } catch (error) {
    // parseSSE has finished (and closed the body) by throwing; nothing to cancel.
    throw readFailure(error, scope, false, model);
  }
}

export type StreamEnd = { kind: 'completed'; usage: Usage | undefined } | { kind: 'failed'; error: TogetherError } | { kind: 'cancelled'; usage: Usage | undefined };

/**
 * The caller's iterator over an opened stream: the prefix, then the rest. `onEnd` runs exactly once, when the stream
 * completes, fails, or the caller stops reading (break, return) — or when the scope aborts while nobody is reading.
 */
export function streamChunks(
  opened: OpenedStream,
  scope: AttemptScope,
  model: string,
  onEnd: (end: StreamEnd) => void,
): AsyncGenerator<unknown, void, undefined> {
  let usage = opened.usage;
  let ended = false;
  const end = (outcome: StreamEnd): void => {
    if (ended) return;
    ended = true;
    scope.signal.removeEventListener('abort', onAbort);
    onEnd(outcome);
  };
  // A stream nobody reads still ends when its timeout or the caller's signal fires: timers and the breaker's
  // ticket must not wait for a read that may never come.
  const onAbort = (): void => end({ kind: 'failed', error: readFailure(undefined, scope, true, model) });
  if (scope.signal.aborted) onAbort();
  else scope.signal.addEventListener('abort', onAbort, { once: true });

  async function* chunks(): AsyncGenerator<unknown, void, undefined> {
    let finished = false;
    try {
      for (const chunk of opened.prefix) yield chunk;
      if (opened.rest !== undefined) {
        for (;;) {
          let next: IteratorResult<unknown, void>;
          try {
            next = await opened.rest.next();
          } catch (error) {
            const failure = readFailure(error, scope, true, model);
            finished = true;
            end({ kind: 'failed', error: failure });
            throw failure;
          }
          if (next.done) break;
          usage = usageOf(next.value) ?? usage;
          yield next.value;
        }
      }
      finished = true;
      end({ kind: 'completed', usage });
    } finally {
      if (!finished) {
        // The caller stopped reading: cancel the upstream body, then settle.
        const closing = opened.rest?.return(undefined);
        closing?.catch(() => undefined);
        end({ kind: 'cancelled', usage });
      }
    }
  }
  return chunks();
}
