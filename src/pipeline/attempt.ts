// The innermost step of an attempt (its exchange with the upstream): send through the transport, hand the answer's
// headers to the layers (`onHeaders`), classify an error answer, read a JSON answer whole or a stream up to its
// first content chunk (see stream.ts). Everything around it — billing stop, breaker, pacing, timeouts, header
// observation, classification, tracing — is a layer (policy/layer.ts) composed by pipeline.ts; `runAttempt`
// settles the layers' end callbacks for an answer read whole, and the stream's reader settles them at its end.
import type { RawResponse, SendRequest, TextResponse, Upstream } from '../api/index.js';
import { isTogetherError, notTogetherAnswerError, redactPatterns, responseTooLargeError } from '../errors/index.js';
import type { KeySource, Scrubber, TogetherError } from '../errors/index.js';
import type { AttemptEnd, AttemptHooks, AttemptScope, PolicyEventMap, PolicyEvents, RateLimitSnapshot, Send, TimedCall } from '../policy/index.js';
import type { Endpoint } from './contract.js';
import { openStream, readFailure } from './stream.js';
import type { OpenedStream } from './stream.js';


/** What the exchange needs from the pipeline. */
export interface ExchangeStages {
  /** Where attempts go: its transport, its paths, its classification of error answers. */
  upstream: Upstream;
  events: PolicyEvents;
  /** Removes every form of every key the pipeline knows from what an upstream sent, before anyone sees it. */
  scrubber(): Scrubber;
  /** The longest one streamed event may grow (see PipelineOptions). */
  maxStreamEventBytes: number;
  /** The most bytes of an answer read whole (see PipelineOptions). */
  maxResponseBytes: number;
}

/** Response headers with every known secret removed (the same object when none is there: the usual case). */
export function scrubHeaders(headers: Record<string, string>, scrubber: Scrubber): Record<string, string> {
  if (scrubber.secrets.length === 0 || !anyHeaderHolds(headers, scrubber)) return headers;
  const out: Record<string, string> = {};
  for (const name in headers) out[scrubber.exact(name)] = scrubber.exact(headers[name]!);
  return out;
}

/** Each name and value on its own, skipping those too short to hold a secret: nothing allocated on a clean answer. */
function anyHeaderHolds(headers: Record<string, string>, scrubber: Scrubber): boolean {
  const shortest = scrubber.shortest;
  for (const name in headers) {
    const value = headers[name]!;
    if (value.length >= shortest && scrubber.contains(value)) return true;
    if (name.length >= shortest && scrubber.contains(name)) return true;
  }
  return false;
}

/** One attempt as the layers and the exchange see it. */
export interface PipelineAttempt extends TimedCall {
  endpoint: Endpoint;
  stream: boolean;
  body: Record<string, unknown>;
  /** `body` as JSON text already (the caller's own bytes): sent instead of serialising `body`. */
  rawBody?: string | Uint8Array | undefined;
  /** The media type of `rawBody` when it is not JSON (a multipart form): sent with it. */
  contentType?: string | undefined;
  keySource: KeySource | undefined;
  /** The request's own signal (caller + deadline), before the timeout layer narrows `signal`. */
  requestSignal: AbortSignal;
  /** Counted just before the request goes upstream: attempts sent so far and the latest attempt's model. */
  progress: { attempts: number; model: string | undefined };
  /** The snapshot the pacing layer read from the latest answer's headers. */
  rateLimit?: RateLimitSnapshot | undefined;
  hooks: AttemptHooks;
  /** Whether the request may still move to another model of its route (the dynamic pacer's spill-over). */
  spillOver?: (() => boolean) | undefined;
}

export type AttemptResult =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: unknown; rawBody: string | undefined; binary?: { contentType: string; bytes: Uint8Array } }
  | {
      kind: 'stream';
      headers: Record<string, string>;
      opened: OpenedStream;
      scope: AttemptScope;
      /** Settles the attempt's layers when the stream really ends. */
      end: (end: AttemptEnd) => void;
    };

/** The same error the transport's `json()` gives for a body that is not JSON: it quotes the body's start. */
function notJson(text: string): SyntaxError {
  // Anything shaped like a key is left out too (the known keys were removed from the whole text already).
  const snippet = redactPatterns(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return new SyntaxError(`Response body is not JSON: ${JSON.stringify(snippet)}`);
}

function invalidJson(model: string, status: number, error: unknown): TogetherError {
  const detail = error instanceof Error ? error.message : String(error);
  return notTogetherAnswerError({ status, message: `HTTP ${status} with a body that is not JSON: ${detail}`, retryable: true, model, original: error });
}

/** An upstream error answer (status, headers, body text), classified (the layers act on its category). */
function classifyAnswer(stages: ExchangeStages, request: PipelineAttempt, status: number, headers: Record<string, string>, text: string): TogetherError {
  return stages.upstream.classify({ status, headers, body: text, model: request.model, keySource: request.keySource, secrets: stages.scrubber().secrets });
}

/** An upstream error answer read from its body stream. */
async function failedAnswer(stages: ExchangeStages, request: PipelineAttempt, response: RawResponse): Promise<TogetherError> {
  let text = '';
  try {
    text = await response.body.text();
  } catch (error) {
    if (request.signal.aborted) throw error;
    // The status alone still classifies.
  }
  return classifyAnswer(stages, request, response.status, response.headers, text);
}

/** A 2xx answer's text as the JSON result (a body that is not JSON is a retryable server fault). */
function jsonAnswer(stages: ExchangeStages, request: PipelineAttempt, status: number, received: Record<string, string>, raw: string): AttemptResult {
  // An upstream that echoes a key (in any encoding) must not hand it to whoever reads the answer.
  const scrubber = stages.scrubber();
  const text = scrubber.exact(raw);
  const headers = scrubHeaders(received, scrubber);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidJson(request.model, status, notJson(text));
  }
  return { kind: 'json', status, headers, body, rawBody: text };
}

/** Whether an answer's media type is JSON (else it is media: audio bytes). */
function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** A 2xx media answer (audio) read whole, within maxResponseBytes; a JSON one goes through jsonAnswer. */
async function mediaAnswer(stages: ExchangeStages, request: PipelineAttempt, response: RawResponse): Promise<AttemptResult> {
  const contentType = response.headers['content-type'];
  if (isJsonType(contentType)) return jsonAnswer(stages, request, response.status, response.headers, await response.body.text());
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > stages.maxResponseBytes) throw responseTooLargeError(stages.maxResponseBytes, request.model);
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks, size);
  return { kind: 'json', status: response.status, headers: scrubHeaders(response.headers, stages.scrubber()), body: undefined, rawBody: undefined, binary: { contentType: contentType ?? 'application/octet-stream', bytes } };
}

/** A JSON attempt read whole by the transport (`sendText`), with no body stream. */
async function sendForText(stages: ExchangeStages, request: PipelineAttempt, send: SendRequest, scope: AttemptScope): Promise<AttemptResult> {
  let answer: TextResponse;
  try {
    answer = await stages.upstream.transport.sendText!(send);
  } catch (error) {
    throw readFailure(error, scope, false, request.model);
  }
  request.hooks.headers(answer.headers);
  if (answer.status < 200 || answer.status >= 300) throw classifyAnswer(stages, request, answer.status, answer.headers, answer.text);
  return jsonAnswer(stages, request, answer.status, answer.headers, answer.text);
}

/** The exchange: the innermost send every layer wraps. */
export function exchange(stages: ExchangeStages): Send<PipelineAttempt, AttemptResult> {
  return (request) => sendAttempt(stages, request);
}

/**
 * Not async itself: an answer read whole (the usual case) returns sendForText's promise as is. An async function
 * returning a promise costs the caller two more turns of the microtask queue, on every request.
 */
function sendAttempt(stages: ExchangeStages, request: PipelineAttempt): Promise<AttemptResult> {
  if (stages.events.listenerCount('attempt') > 0) {
    const event: PolicyEventMap['attempt'] = { attempt: request.attempt, model: request.model };
    if (request.requestId !== undefined) event.requestId = request.requestId;
    stages.events.emit('attempt', event);
  }
  const scope = request.scope!;
  request.progress.attempts += 1;
  request.progress.model = request.model;
  const headers = attemptHeaders(request);
  const send: SendRequest = {
    method: 'POST',
    path: stages.upstream.path(request.endpoint),
    body: request.rawBody ?? request.body,
    jsonText: request.rawBody !== undefined && request.contentType === undefined,
    ...(headers !== undefined ? { headers } : {}),
    stream: request.stream,
    apiKey: request.apiKey,
    model: request.model,
    signal: scope.signal,
    maxResponseBytes: stages.maxResponseBytes,
  };
  // Speech answers audio bytes: read as bytes below, never as text.
  if (!request.stream && request.endpoint !== 'speech' && stages.upstream.transport.sendText !== undefined) {
    return sendForText(stages, request, send, scope);
  }
  return sendForBody(stages, request, send, scope);
}

/** An attempt whose body is read from a stream: a stream's first chunk, speech's audio, or a transport without sendText. */
async function sendForBody(stages: ExchangeStages, request: PipelineAttempt, send: SendRequest, scope: AttemptScope): Promise<AttemptResult> {
  let response: RawResponse;
  try {
    response = await stages.upstream.transport.send(send);
  } catch (error) {
    throw readFailure(error, scope, false, request.model);
  }
  // The idle timer guards a stream's silences; a JSON answer's body is covered by the attempt timeout alone.
  if (request.stream) scope.touch();
  request.hooks.headers(response.headers);

  if (response.status < 200 || response.status >= 300) {
    throw await failedAnswer(stages, request, response).catch((thrown: unknown) => {
      throw readFailure(thrown, scope, false, request.model);
    });
  }
  if (!request.stream && request.endpoint === 'speech') {
    try {
      return await mediaAnswer(stages, request, response);
    } catch (error) {
      throw readFailure(error, scope, false, request.model);
    }
  }
  if (!request.stream) {
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      if (scope.signal.aborted || isTogetherError(error)) throw readFailure(error, scope, false, request.model);
      throw invalidJson(request.model, response.status, error);
    }
    return jsonAnswer(stages, request, response.status, response.headers, text);
  }
  const scrubber = stages.scrubber();
  const opened = await openStream(response, scope, request.model, scrubber, stages.maxStreamEventBytes);
  return { kind: 'stream', headers: scrubHeaders(response.headers, scrubber), opened, scope, end: (end) => request.hooks.end(end) };
}

/** The headers an attempt adds: a form's media type, speech's accept, and what layers set (traceparent). */
function attemptHeaders(request: PipelineAttempt): Record<string, string> | undefined {
  const own: Record<string, string> | undefined =
    request.contentType !== undefined ? { 'content-type': request.contentType } : request.endpoint === 'speech' && !request.stream ? { accept: '*/*' } : undefined;
  let any = false;
  for (const _ in request.headers) {
    any = true;
    break;
  }
  if (!any) return own;
  return { ...request.headers, ...own };
}

/**
 * Runs one composed attempt and settles the layers' end callbacks for an answer read whole or a failure (released
 * when the request itself was aborted: no verdict on the model). A stream's end settles them later (pipeline.ts).
 */
export async function runAttempt(send: Send<PipelineAttempt, AttemptResult>, call: PipelineAttempt): Promise<AttemptResult> {
  try {
    const result = await send(call);
    if (result.kind === 'json') call.hooks.end({ kind: 'success' });
    return result;
  } catch (thrown) {
    if (isTogetherError(thrown) && !call.requestSignal.aborted) call.hooks.end({ kind: 'failure', error: thrown });
    else call.hooks.end({ kind: 'released' });
    throw thrown;
  }
}
