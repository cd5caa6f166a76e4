// Pipeline results and errors as fetch `Response`s, the way Together would have answered: upstream JSON and headers,
// SSE re-serialized, and errors in Together's envelope with the status an SDK maps to its own error class.
import { SSE_DONE, forwardSSE } from '../api/index.js';
import type { TogetherError, ErrorCategory } from '../errors/index.js';
import type { JsonResult, StreamResult } from './contract.js';

/** Headers that describe the upstream connection or encoding, not the content we hand on. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length', 'upgrade', 'te', 'trailer']);

export function forwardHeaders(upstream: Readonly<Record<string, string>>, keepLength = false): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upstream)) {
    if (HOP_HEADERS.has(name) && !(keepLength && name === 'content-length')) continue;
    try {
      headers.set(name, value);
    } catch {
      // A header value fetch refuses (non-Latin-1): drop it rather than fail the response.
    }
  }
  return headers;
}

/** What the pipeline decided, for callers who look: the answering model and the attempts it took. */
function tetherHeaders(headers: Headers, result: JsonResult | StreamResult): void {
  headers.set('x-tether-model', result.model);
  headers.set('x-tether-attempts', String(result.attempts));
  if (result.model !== result.requestedModel) headers.set('x-tether-requested-model', result.requestedModel);
}

export function jsonResponse(result: JsonResult): Response {
  const headers = forwardHeaders(result.headers);
  headers.set('content-type', 'application/json');
  tetherHeaders(headers, result);
  return new Response(JSON.stringify(result.body), { status: result.status, headers });
}

/** An async iterable as a byte stream; a failure errors the stream, a cancel returns the iterator. */
export function iterableStream<T>(source: AsyncIterable<T>, encode: (value: T) => Uint8Array, end?: Uint8Array): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          if (end !== undefined) controller.enqueue(end);
          controller.close();
        } else {
          controller.enqueue(encode(next.value));
        }
      } catch (error) {
        // The consumer's read rejects with the TogetherError: a broken stream never looks like a clean end.
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

const encoder = new TextEncoder();

export function streamResponse(result: StreamResult): Response {
  const headers = forwardHeaders(result.headers);
  headers.set('content-type', 'text/event-stream;charset=utf-8');
  headers.set('cache-control', 'no-cache');
  tetherHeaders(headers, result);
  const body = iterableStream(result.chunks, (chunk) => encoder.encode(forwardSSE(chunk)), encoder.encode(SSE_DONE));
  return new Response(body, { status: 200, headers });
}

/** The status Together answers a failure of this kind with (for errors the pipeline raised before sending). */
const CATEGORY_STATUS: Record<ErrorCategory, number> = {
  validation: 400,
  context_length: 400,
  not_found: 404,
  auth: 401,
  billing: 402,
  rate_limit: 429,
  overloaded: 503,
  server: 500,
  timeout: 504,
  network: 502,
};

const CODE_STATUS: Readonly<Record<string, number>> = {
  model_not_available: 400,
  tier_too_low: 403,
  // The upstream's answer broke one of tether's bounds: a bad gateway, not an error of tether's own.
  response_too_large: 502,
  stream_event_too_large: 502,
};

export function statusFor(error: TogetherError): number {
  if (error.status !== undefined && error.status >= 400 && error.status <= 599) return error.status;
  return (error.code !== undefined ? CODE_STATUS[error.code] : undefined) ?? CATEGORY_STATUS[error.category];
}

/**
 * A TogetherError as Together's error envelope: `{ id, error: { message, type, param, code, tether } }`, where
 * `tether` holds the classification (category, cause, fix, retryable, details). Headers say the category and that a
 * client must not retry on its own: the pipeline already did whatever retrying and falling back could help.
 */
export function errorResponse(error: TogetherError): Response {
  const status = statusFor(error);
  const body = {
    ...(error.requestId !== undefined ? { id: error.requestId } : {}),
    error: {
      message: error.message,
      type: error.type ?? error.category,
      param: error.param ?? null,
      code: error.code ?? null,
      tether: {
        category: error.category,
        cause: error.cause,
        fix: error.fix,
        retryable: error.retryable,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        ...(error.model !== undefined ? { model: error.model } : {}),
        ...(error.details !== undefined ? { details: error.details } : {}),
      },
    },
  };
  const headers = new Headers({
    'content-type': 'application/json',
    'x-tether-category': error.category,
    'x-tether-retryable': String(error.retryable),
    'x-should-retry': 'false',
  });
  if (error.requestId !== undefined) headers.set('x-request-id', error.requestId);
  return new Response(JSON.stringify(body), { status, headers });
}
