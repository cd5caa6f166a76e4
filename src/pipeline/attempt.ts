// One attempt on one model: wait for rate budget, take the model's breaker ticket, send, classify. Every answer's
// headers teach the pacer; a 429 pauses the key, a 402 stops it, an overload counts against the model's circuit.
// A JSON answer is read whole here; a stream is read up to its first content chunk (see stream.ts).
import { PATHS } from '../api/index.js';
import type { RawResponse, SendRequest, TextResponse, Transport } from '../api/index.js';
import { TogetherError, classify, classifyNetworkError, isTogetherError, redactPatterns, responseTooLargeError } from '../errors/index.js';
import type { KeySource, Scrubber } from '../errors/index.js';
import { createAttemptScope } from '../policy/index.js';
import type { AttemptScope, BreakerRegistry, BreakerTicket, Pacer, PolicyEventMap, PolicyEvents, RateLimitSnapshot } from '../policy/index.js';
import type { BillingStop } from './billing-stop.js';
import type { Endpoint } from './contract.js';
import { abortError } from './errors.js';
import { openStream, readFailure } from './stream.js';
import type { OpenedStream } from './stream.js';

export const ENDPOINT_PATH: Record<Endpoint, string> = {
  chat: PATHS.chatCompletions,
  completions: PATHS.completions,
  embeddings: PATHS.embeddings,
  images: PATHS.images,
  rerank: PATHS.rerank,
  speech: PATHS.audioSpeech,
  transcriptions: PATHS.audioTranscriptions,
  translations: PATHS.audioTranslations,
};

/** The model's circuit refused the attempt: not an error of the request, a reason to go to the next model. */
export class CircuitRefusal extends Error {
  override readonly name = 'CircuitRefusal';
  constructor(readonly model: string) {
    super(`The circuit of ${model} is open`);
  }
}

export interface AttemptStages {
  transport: Transport;
  pacer: Pacer | undefined;
  breakers: BreakerRegistry;
  billing: BillingStop;
  events: PolicyEvents;
  /** Records the headers of every answer (for `state()`). */
  /** `snapshot`: the headers as the pacer already read them, when it did. */
  observed(apiKey: string, headers: Record<string, string>, snapshot: RateLimitSnapshot | undefined): void;
  /** Removes every form of every key the pipeline knows from what an upstream sent, before anyone sees it. */
  scrubber(): Scrubber;
  /** The longest one streamed event may grow (see PipelineOptions). */
  maxStreamEventBytes: number;
  /** The most bytes of an answer read whole (see PipelineOptions). */
  maxResponseBytes: number;
}

/** Response headers with every known secret removed (the same object when none is there: the usual case). */
export function scrubHeaders(headers: Record<string, string>, scrubber: Scrubber): Record<string, string> {
  if (scrubber.secrets.length === 0) return headers;
  let all = '';
  for (const name in headers) all += `${name}\n${headers[name]}\n`;
  if (!scrubber.contains(all)) return headers;
  const out: Record<string, string> = {};
  for (const name in headers) out[scrubber.exact(name)] = scrubber.exact(headers[name]!);
  return out;
}

export interface AttemptRequest {
  endpoint: Endpoint;
  stream: boolean;
  model: string;
  body: Record<string, unknown>;
  /** `body` as JSON text already (the caller's own bytes): sent instead of serialising `body`. */
  rawBody?: string | Uint8Array | undefined;
  /** The media type of `rawBody` when it is not JSON (a multipart form): sent with it. */
  contentType?: string | undefined;
  apiKey: string;
  keySource: KeySource | undefined;
  /** Tokens charged to the key's tokens/min budget. */
  budgetTokens: number;
  /** The request's signal (caller + deadline). */
  signal: AbortSignal;
  /** Attempt number on this model, from 1 (for the `attempt` event). */
  attempt: number;
  attemptTimeoutMs: number;
  idleTimeoutMs: number;
  /** Counted just before the request goes upstream: attempts sent so far and the latest attempt's model. */
  progress: { attempts: number; model: string | undefined };
  /** The caller's request id, for the events. */
  requestId: string | undefined;
}

export type AttemptResult =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: unknown; rawBody: string | undefined; binary?: { contentType: string; bytes: Uint8Array } }
  | { kind: 'stream'; headers: Record<string, string>; opened: OpenedStream; scope: AttemptScope; ticket: BreakerTicket };

/** The same error the transport's `json()` gives for a body that is not JSON: it quotes the body's start. */
function notJson(text: string): SyntaxError {
  // Anything shaped like a key is left out too (the known keys were removed from the whole text already).
  const snippet = redactPatterns(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return new SyntaxError(`Response body is not JSON: ${JSON.stringify(snippet)}`);
}

function invalidJson(model: string, status: number, error: unknown): TogetherError {
  return new TogetherError({
    status,
    category: 'server',
    code: 'invalid_response',
    message: `HTTP ${status} with a body that is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    cause: 'Something other than Together’s API answered (a proxy or captive portal), or the answer was cut short.',
    fix: 'Check TOGETHER_BASE_URL; if it is right, retry and report the request id to Together support if it persists.',
    retryable: true,
    model,
    original: error,
  });
}

/** The pacer could not grant budget (closed, or its shared store failed): nothing was sent. */
function pacingFailure(error: unknown, model: string): TogetherError {
  return new TogetherError({
    category: 'network',
    code: 'pacing_failed',
    message: error instanceof Error ? error.message : String(error),
    cause: 'The request could not get rate budget: the pipeline was closed, or its shared rate-limit store did not answer.',
    fix: 'Send through an open pipeline; with a Redis pacing store, check the Redis connection.',
    retryable: false,
    model,
    original: error,
  });
}

/** The billing error that stops the key, if a 402 has stopped it. */
function stoppedKey(stages: AttemptStages, apiKey: string): TogetherError | undefined {
  return stages.billing.check(apiKey);
}

/** An upstream error answer (status, headers, body text): classified, with the key's bookkeeping done. */
function classifyAnswer(stages: AttemptStages, request: AttemptRequest, status: number, headers: Record<string, string>, text: string): TogetherError {
  const error = classify({ status, headers, body: text, model: request.model, keySource: request.keySource, secrets: stages.scrubber().secrets });
  if (error.category === 'rate_limit') stages.pacer?.penalize(request.apiKey, error.retryAfterMs);
  if (error.category === 'billing') stages.billing.stop(request.apiKey, error);
  return error;
}

/** An upstream error answer read from its body stream. */
async function failedAnswer(stages: AttemptStages, request: AttemptRequest, response: RawResponse): Promise<TogetherError> {
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
function jsonAnswer(stages: AttemptStages, request: AttemptRequest, status: number, received: Record<string, string>, raw: string): AttemptResult {
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
async function mediaAnswer(stages: AttemptStages, request: AttemptRequest, response: RawResponse): Promise<AttemptResult> {
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
async function sendForText(stages: AttemptStages, request: AttemptRequest, send: SendRequest, scope: AttemptScope): Promise<AttemptResult> {
  let answer: TextResponse;
  try {
    answer = await stages.transport.sendText!(send);
  } catch (error) {
    throw readFailure(error, scope, false, request.model);
  }
  const snapshot = stages.pacer?.observe(request.apiKey, answer.headers);
  stages.observed(request.apiKey, answer.headers, snapshot);
  if (answer.status < 200 || answer.status >= 300) throw classifyAnswer(stages, request, answer.status, answer.headers, answer.text);
  return jsonAnswer(stages, request, answer.status, answer.headers, answer.text);
}

export async function runAttempt(stages: AttemptStages, request: AttemptRequest): Promise<AttemptResult> {
  const stopped = stoppedKey(stages, request.apiKey);
  if (stopped) throw stopped;
  if (stages.breakers.isOpen(request.model)) throw new CircuitRefusal(request.model);
  try {
    await stages.pacer?.acquire(request.apiKey, { tokens: request.budgetTokens, signal: request.signal });
  } catch (error) {
    if (request.signal.aborted) throw abortError(request.signal.reason, request.model);
    // The pacer's own refusals (a wait above the cap, a budget the request can never fit) say what to do already.
    if (isTogetherError(error)) throw new TogetherError({ ...error.toJSON(), model: request.model, original: error.original });
    throw pacingFailure(error, request.model);
  }
  // A 402 may have stopped the key while this request waited for budget: nothing more is sent with it.
  const stoppedWhileWaiting = stoppedKey(stages, request.apiKey);
  if (stoppedWhileWaiting) throw stoppedWhileWaiting;
  const ticket = stages.breakers.acquire(request.model);
  if (!ticket) throw new CircuitRefusal(request.model);

  if (stages.events.listenerCount('attempt') > 0) {
    const event: PolicyEventMap['attempt'] = { attempt: request.attempt, model: request.model };
    if (request.requestId !== undefined) event.requestId = request.requestId;
    stages.events.emit('attempt', event);
  }
  const scope = createAttemptScope({
    signal: request.signal,
    attemptTimeoutMs: request.attemptTimeoutMs,
    idleTimeoutMs: request.idleTimeoutMs,
    model: request.model,
  });
  let handedOff = false;
  try {
    let response: RawResponse;
    request.progress.attempts += 1;
    request.progress.model = request.model;
    const send: SendRequest = {
      method: 'POST',
      path: ENDPOINT_PATH[request.endpoint],
      body: request.rawBody ?? request.body,
      jsonText: request.rawBody !== undefined && request.contentType === undefined,
      ...(request.contentType !== undefined ? { headers: { 'content-type': request.contentType } } : request.endpoint === 'speech' ? { headers: { accept: '*/*' } } : {}),
      stream: request.stream,
      apiKey: request.apiKey,
      model: request.model,
      signal: scope.signal,
      maxResponseBytes: stages.maxResponseBytes,
    };
    // Speech answers audio bytes: read as bytes below, never as text.
    if (!request.stream && request.endpoint !== 'speech' && stages.transport.sendText !== undefined) {
      const result = await sendForText(stages, request, send, scope);
      ticket.success();
      return result;
    }
    try {
      response = await stages.transport.send(send);
    } catch (error) {
      throw readFailure(error, scope, false, request.model);
    }
    // The idle timer guards a stream's silences; a JSON answer's body is covered by the attempt timeout alone.
    if (request.stream) scope.touch();
    const snapshot = stages.pacer?.observe(request.apiKey, response.headers);
    stages.observed(request.apiKey, response.headers, snapshot);

    if (response.status < 200 || response.status >= 300) {
      const error = await failedAnswer(stages, request, response).catch((thrown: unknown) => {
        throw readFailure(thrown, scope, false, request.model);
      });
      ticket.failure(error);
      throw error;
    }
    if (!request.stream && request.endpoint === 'speech') {
      let result: AttemptResult;
      try {
        result = await mediaAnswer(stages, request, response);
      } catch (error) {
        throw readFailure(error, scope, false, request.model);
      }
      ticket.success();
      return result;
    }
    if (!request.stream) {
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        if (scope.signal.aborted || isTogetherError(error)) throw readFailure(error, scope, false, request.model);
        throw invalidJson(request.model, response.status, error);
      }
      const result = jsonAnswer(stages, request, response.status, response.headers, text);
      ticket.success();
      return result;
    }
    const scrubber = stages.scrubber();
    const opened = await openStream(response, scope, request.model, scrubber, stages.maxStreamEventBytes);
    handedOff = true;
    return { kind: 'stream', headers: scrubHeaders(response.headers, scrubber), opened, scope, ticket };
  } catch (thrown) {
    const error =
      thrown instanceof TogetherError ? thrown : request.signal.aborted ? abortError(request.signal.reason, request.model) : classifyNetworkError(thrown, { model: request.model });
    if (request.signal.aborted) ticket.release();
    else ticket.failure(error);
    throw error;
  } finally {
    if (!handedOff) scope.done();
  }
}
