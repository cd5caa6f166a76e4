// A whole response read straight off undici's dispatcher: status, headers and body text, with no body stream.
// `dispatcher.request()` wraps every body in a Readable stream (and a request handler around it) that a caller who
// wants the whole text reads back at once; for the small JSON answers of the inference endpoints that stream was a
// large share of the gateway's work per request. A dispatch handler collects the chunks instead.
import type { Dispatcher } from 'undici';
import { responseTooLargeError } from '../errors/index.js';

export interface TextResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body as UTF-8 text ('' when there was none). For an error status, what arrived before a failed read. */
  text: string;
}

/** undici's parsed header names are lower case already; only repeated headers (arrays) need joining. */
export function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Collects one response for `dispatcher.dispatch`. Settles once: resolves at the end of the body, rejects with the
 * signal's reason on an abort and with undici's error otherwise — except that an error status whose body failed
 * half-way still resolves (the status alone classifies it).
 */
export class BufferingHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private controller: Dispatcher.DispatchController | undefined;
  /** Set when the body passed `maxBytes`: the request was aborted with it, and it is the answer. */
  private tooLarge: Error | undefined;
  private readonly onAbort = (): void => this.controller?.abort(this.signal?.reason as Error);

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (response: TextResponse) => void,
    private readonly reject: (error: unknown) => void,
    /** The most body bytes collected; past it the request is aborted (the connection closed) with a clear error. */
    private readonly maxBytes: number = Infinity,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    const { signal } = this;
    if (signal === undefined) return;
    if (signal.aborted) controller.abort(signal.reason as Error);
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Dispatcher.ResponseData['headers']): void {
    if (statusCode < 200) return; // an informational answer: the real one follows
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.tooLarge !== undefined) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      // Checked as the bytes arrive, not after: what was collected is dropped and the socket closed at once.
      this.chunks = [];
      this.tooLarge = responseTooLargeError(this.maxBytes);
      controller.abort(this.tooLarge);
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.detach();
    this.resolve({ status: this.status, headers: this.headers, text: this.body() });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.detach();
    if (this.tooLarge !== undefined) this.reject(this.tooLarge);
    else if (this.status >= 300 && this.signal?.aborted !== true) {
      this.resolve({ status: this.status, headers: this.headers, text: this.body() });
    } else {
      this.reject(error);
    }
  }

  private body(): string {
    const { chunks } = this;
    if (chunks.length === 0) return '';
    return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size)).toString('utf8');
  }

  private detach(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
