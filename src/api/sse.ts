// Server-sent events: Together's `text/event-stream` bodies parsed into JSON chunks, and the serializer the
// gateway uses to send them on. A stream must end with `data: [DONE]`; one that ends without it is a cut
// stream and is reported as an SSEStreamError of kind 'cut' — never as a clean end.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type SSEStreamErrorKind =
  /** The body ended (or failed) before `data: [DONE]`. */
  | 'cut'
  /** A frame carried an `error` object (or an `event: error` frame arrived). */
  | 'error_event'
  /** A frame's data was not JSON. */
  | 'malformed'
  /** One event grew past `maxEventBytes` without ending (a newline-less or endless event). */
  | 'too_large';

export interface SSEStreamErrorFields {
  kind: SSEStreamErrorKind;
  message: string;
  /** How many JSON chunks were yielded before the failure (0: nothing reached the caller). */
  chunksReceived: number;
  /** 1-based index of the data frame at fault (error_event, malformed). */
  frame?: number | undefined;
  /** The raw data of that frame, truncated (malformed). */
  data?: string | undefined;
  /** The parsed `error` value of an error frame (error_event), to be classified by the caller. */
  error?: unknown;
  /** The underlying failure (a socket error while reading, for 'cut'). */
  cause?: unknown;
  /** The limit an event passed (too_large). */
  limit?: number | undefined;
}

export class SSEStreamError extends Error {
  override readonly name = 'SSEStreamError';
  readonly kind: SSEStreamErrorKind;
  readonly chunksReceived: number;
  readonly frame?: number | undefined;
  readonly data?: string | undefined;
  readonly error?: unknown;
  readonly limit?: number | undefined;

  constructor(fields: SSEStreamErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.kind = fields.kind;
    this.chunksReceived = fields.chunksReceived;
    this.frame = fields.frame;
    this.data = fields.data;
    this.error = fields.error;
    this.limit = fields.limit;
  }
}

export function isSSEStreamError(value: unknown): value is SSEStreamError {
  return value instanceof SSEStreamError;
}

export interface ParseSSEOptions {
  /** When aborted, reading stops and the iterator rejects with the signal's reason (not a 'cut'). */
  signal?: AbortSignal | undefined;
  /**
   * The longest one event may grow (counted in characters of the decoded text since the last blank line) before the
   * stream is stopped with a 'too_large' error. Default {@link DEFAULT_MAX_STREAM_EVENT_BYTES}: a chunk is a few
   * hundred bytes, and without a bound a line that never ends grows in memory until a deadline (if any).
   */
  maxEventBytes?: number | undefined;
  /** Applied to each event's data before anything reads it (a scrubber's `exact`: no key reaches a chunk). */
  scrub?: ((data: string) => string) | undefined;
}

/** 1 MiB: a thousand times a real chunk (a long tool call's arguments come in many small deltas). */
export const DEFAULT_MAX_STREAM_EVENT_BYTES = 1024 * 1024;

/**
 * Two line ends in a row: the blank line that ends an event, whichever of `\n`, `\r`, `\r\n` the lines end with
 * (`\r\n\r\n` holds `\n\r`, `\r\n\n` holds `\n\n`).
 */
const EVENT_END = /\n\n|\r\r|\n\r/g;

/**
 * Tracks how long the event being received has grown, across chunks, and says when one passes the limit: every
 * event that ends inside a chunk is measured, and so is the one still open at the chunk's end.
 */
class EventSizeGuard {
  /** Characters received so far, and where the open event began (both counted from the stream's start). */
  private received = 0;
  private openedAt = 0;
  private last = '';

  constructor(private readonly max: number) {}

  /** The size of the first event (ended or open) in `text` that passes the limit, else undefined. */
  check(text: string): number | undefined {
    // The previous chunk's last character, so that a blank line split between two chunks is still seen.
    const scan = this.last + text;
    const origin = this.received - this.last.length;
    EVENT_END.lastIndex = 0;
    let over: number | undefined;
    for (let match = EVENT_END.exec(scan); match !== null; match = EVENT_END.exec(scan)) {
      const size = origin + match.index - this.openedAt;
      if (size > this.max) over ??= size;
      this.openedAt = Math.max(this.openedAt, origin + match.index + 2);
    }
    this.received += text.length;
    this.last = text.slice(-1);
    const open = this.received - this.openedAt;
    return over ?? (open > this.max ? open : undefined);
  }
}

const DATA_SNIPPET = 200;

function snippet(text: string): string {
  return text.length > DATA_SNIPPET ? `${text.slice(0, DATA_SNIPPET)}…` : text;
}

function innerErrorMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return JSON.stringify(error);
}

type Step = { done: true } | { done: false; value: unknown };

/** `iterator.next()`, rejected with the signal's reason as soon as it aborts (a silent source cannot hold us). */
function nextOrAbort<V>(iterator: AsyncIterator<V>, signal: AbortSignal | undefined): Promise<IteratorResult<V>> {
  if (signal === undefined) return iterator.next();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Parse an SSE body into the JSON value of each data frame, stopping at `data: [DONE]`.
 * Frames with a named event other than `message`/`error` are skipped (as the official SDK does);
 * comments (`: keep-alive`) are ignored. Breaking out of the loop cancels the underlying body.
 */
export async function* parseSSE<T = unknown>(
  source: AsyncIterable<Uint8Array | string>,
  options: ParseSSEOptions = {},
): AsyncGenerator<T, void, undefined> {
  const { signal, scrub } = options;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_STREAM_EVENT_BYTES;
  const guard = new EventSizeGuard(maxEventBytes);
  const decoder = new TextDecoder();
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  let frame = 0;
  let yielded = 0;

  // Decide what one parsed event means. Throws for error and malformed frames.
  const interpret = (event: EventSourceMessage): Step | undefined => {
    if (event.event !== undefined && event.event !== 'message' && event.event !== 'error') return undefined;
    frame += 1;
    const data = scrub === undefined ? event.data : scrub(event.data);
    if (event.event !== 'error' && data.trim() === '[DONE]') return { done: true };
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      if (event.event === 'error') {
        throw new SSEStreamError({ kind: 'error_event', message: `Stream error event: ${snippet(data)}`, chunksReceived: yielded, frame, error: data });
      }
      throw new SSEStreamError({
        kind: 'malformed',
        message: `Stream frame ${frame} is not valid JSON: ${JSON.stringify(snippet(data))}`,
        chunksReceived: yielded,
        frame,
        data: snippet(data),
      });
    }
    const inner = event.event === 'error' ? ((value as { error?: unknown } | null)?.error ?? value) : (value as { error?: unknown } | null)?.error;
    if (inner !== undefined && inner !== null) {
      throw new SSEStreamError({
        kind: 'error_event',
        message: `Stream frame ${frame} carried an error: ${innerErrorMessage(inner)}`,
        chunksReceived: yielded,
        frame,
        error: inner,
      });
    }
    // Single-line data only: a multi-line one would need its `data:` prefixes back, so it is re-serialised.
    if (typeof value === 'object' && value !== null && !data.includes('\n')) sourceText.set(value, data);
    return { done: false, value };
  };

  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await nextOrAbort(iterator, signal);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new SSEStreamError({
          kind: 'cut',
          message: `Stream failed after ${yielded} chunk(s) without [DONE]: ${error instanceof Error ? error.message : String(error)}`,
          chunksReceived: yielded,
          cause: error,
        });
      }
      if (next.done) {
        // An event without its closing blank line is incomplete and, per the SSE rules, dropped — except a
        // final `data: [DONE]`, which clearly ends the stream (some servers omit the last blank line).
        parser.feed(decoder.decode() + '\n\n');
        const last = pending.splice(0).at(-1);
        if (last !== undefined && last.event === undefined && last.data.trim() === '[DONE]') return;
        throw new SSEStreamError({
          kind: 'cut',
          message: `Stream ended after ${yielded} chunk(s) without [DONE]`,
          chunksReceived: yielded,
        });
      }
      const text = typeof next.value === 'string' ? next.value : decoder.decode(next.value, { stream: true });
      if (guard.check(text) !== undefined) {
        throw new SSEStreamError({
          kind: 'too_large',
          message: `Stream event grew past ${maxEventBytes} characters without ending, after ${yielded} chunk(s)`,
          chunksReceived: yielded,
          limit: maxEventBytes,
        });
      }
      parser.feed(text);
      while (pending.length > 0) {
        const step = interpret(pending.shift() as EventSourceMessage);
        if (step === undefined) continue;
        if (step.done) return;
        yielded += 1;
        yield step.value as T;
        if (signal?.aborted) throw signal.reason;
      }
    }
  } finally {
    // Stop the body (and its connection) whenever we leave early: [DONE], an error, or the caller's break.
    // After an abort a read may still be pending, and an async generator queues return() behind it, so
    // don't wait for it then (the transport's body is aborted by the same signal anyway).
    const closing = iterator.return?.();
    if (signal?.aborted) closing?.catch(() => undefined);
    else {
      try {
        await closing;
      } catch {
        // A source that fails while closing has nothing more to tell us.
      }
    }
  }
}

/** The data text each chunk parseSSE yielded came from (see forwardSSE). */
const sourceText = new WeakMap<object, string>();

/**
 * The data frame for a chunk parseSSE yielded, passed on unchanged: the upstream's own text, not a re-serialisation
 * (as the gateway forwards a JSON answer's own bytes). Only for chunks nobody changed since they were parsed; any
 * other value is written as JSON, like formatSSE.
 */
export function forwardSSE(value: unknown): string {
  const text = typeof value === 'object' && value !== null ? sourceText.get(value) : undefined;
  return text === undefined ? `data: ${JSON.stringify(value)}\n\n` : `data: ${text}\n\n`;
}

/** One SSE data frame carrying `value` as JSON. */
export function formatSSE(value: unknown, event?: string): string {
  const head = event === undefined ? '' : `event: ${event}\n`;
  return `${head}data: ${JSON.stringify(value)}\n\n`;
}

/** The frame that ends every Together/OpenAI stream. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** A comment frame (ignored by clients), e.g. a keep-alive. */
export function formatSSEComment(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => `: ${line}`)
    .join('\n')
    .concat('\n\n');
}
