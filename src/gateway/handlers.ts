// The gateway's routes. Inference requests go through `pipeline.send` and nothing else: the gateway only reads
// the body once, maps an alias, adds the configured overrides, and writes back the result (JSON, or SSE chunk by
// chunk) or the error envelope.
import type { ServerResponse } from 'node:http';
import { forwardSSE, SSE_DONE } from '../api/index.js';
import { isTogetherError } from '../errors/index.js';
import { LightAbortController } from '../policy/index.js';
import type { TogetherError } from '../errors/index.js';
import { clientRateLimited, internalError, bodyTooLarge, togetherErrorReply, unauthorized } from './envelope.js';
import type { ErrorReply } from './envelope.js';
import { unpricedForward } from './budgets.js';
import type { GatewayBudgets } from './budgets.js';
import { consumeLimits } from './clients.js';
import type { Exchange } from './exchange.js';
import { checkRequestBytes } from './body.js';
import { drained, errorBodyText, readBody, sendError, sendJson } from './http.js';
import type { Logger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import type { OverloadStatus } from './overload.js';
import { toWireModel } from './models.js';
import { isMultipart, parseAudioForm } from './audio-form.js';
import { handlePassthrough } from './passthrough.js';
import type { PassthroughContext } from './passthrough.js';
import type { Endpoint, JsonResult, PipelineRequest, StreamResult } from './pipeline.js';

export interface HandlerContext extends PassthroughContext {
  log: Logger;
  metrics: GatewayMetrics;
  /** Per-client spend budgets (budgets.ts). */
  budgets: GatewayBudgets;
}

function fail(ex: Exchange, reply: ErrorReply, closeConnection = false): void {
  ex.category = reply.category;
  sendError(ex.res, reply, ex.requestId, closeConnection);
}

/**
 * Auth and per-client limits; false when the request was answered (401/429). Synchronous unless the client has
 * limits to count (the common, unlimited case costs no promise). A refused request's body is never read: the answer
 * goes out with `connection: close` at once (draining an unauthenticated, unlimited body held the connection until
 * the request timeout).
 */
function admit(ex: Exchange): boolean | Promise<boolean> {
  const auth = ex.generation.clients.authenticate(ex.req.headers.authorization);
  if (!auth.ok) {
    fail(ex, unauthorized(auth.hasHeader), true);
    return false;
  }
  const client = auth.client;
  if (client === undefined) return true;
  ex.client = client.name;
  ex.upstreamKey = client.upstreamKey;
  ex.budget = client.budget;
  if (client.limits.length === 0) return true;
  return consumeLimits(client).then((limited) => {
    if (limited.ok) return true;
    fail(ex, clientRateLimited(client.name, limited.retryAfterMs, limited.label), true);
    return false;
  });
}

/**
 * Reads and checks the JSON object body (with the bytes it was parsed from); undefined when the request was answered
 * (413/400) or abandoned. The bytes are checked for depth before they are parsed, and the model id's length before
 * anything looks it up or logs it (see body.ts).
 */
async function readJsonObject(ex: Exchange): Promise<{ body: Record<string, unknown>; raw: Buffer } | undefined> {
  const read = await readBody(ex.req, ex.generation.config.limits.maxBodyBytes);
  if (!read.ok) {
    if (read.reason === 'too_large') fail(ex, bodyTooLarge(ex.generation.config.limits.maxBodyBytes), true);
    return undefined;
  }
  const checked = checkRequestBytes(read.body);
  if (!checked.ok) {
    fail(ex, checked.reply);
    return undefined;
  }
  return { body: checked.body, raw: read.body };
}

/**
 * Copies upstream's rate-limit headers (`x-ratelimit-*`, `x-tokenlimit-*`, dynamic ones included) into `headers`:
 * clients pace on them as they would on Together's. Names arrive lower-case (undici); a prefix test, not a pattern,
 * since every answer's every header goes through it.
 */
export function copyRateLimitHeaders(upstream: Record<string, string>, headers: Record<string, string | number>): void {
  for (const name in upstream) {
    if (name.charCodeAt(0) === 0x78 && (name.startsWith('x-ratelimit-') || name.startsWith('x-tokenlimit-'))) headers[name] = upstream[name]!;
  }
}

function resultHeaders(ex: Exchange, result: JsonResult | StreamResult): Record<string, string | number> {
  const headers: Record<string, string | number> = { 'x-request-id': ex.requestId, 'x-tether-model': result.model, 'x-tether-attempts': result.attempts };
  copyRateLimitHeaders(result.headers, headers);
  const truncated = result.truncated;
  if (truncated !== undefined) {
    const cut = truncated.cutMessageIndex === undefined ? '' : `; cut=${truncated.cutMessageIndex}`;
    headers['x-tether-truncated'] = `dropped=${truncated.droppedMessages}${cut}; tokens=${truncated.tokensBefore}->${truncated.tokensAfter}`;
  }
  const upstreamId = result.headers['x-request-id'];
  if (upstreamId !== undefined) {
    headers['x-together-request-id'] = upstreamId;
    ex.upstreamRequestId = upstreamId;
  }
  return headers;
}

function writeJson(ex: Exchange, result: JsonResult, metrics: GatewayMetrics): void {
  metrics.usage(result.record);
  if (result.binary !== undefined) {
    // Audio from /v1/audio/speech: Together's bytes and media type, unchanged.
    const headers = resultHeaders(ex, result);
    headers['content-type'] = result.binary.contentType;
    headers['content-length'] = result.binary.bytes.byteLength;
    ex.res.writeHead(result.status, headers);
    ex.res.end(result.binary.bytes);
    return;
  }
  // Upstream's own bytes when the pipeline kept them: the body is forwarded unchanged, so no re-serialising.
  sendJson(ex.res, result.status, result.rawBody ?? JSON.stringify(result.body), resultHeaders(ex, result));
}

/** The error event that ends a failed stream: the envelope as one data frame, and no [DONE] after it. */
function streamErrorFrame(error: unknown, requestId: string): { frame: string; category: string } {
  const reply = isTogetherError(error) ? togetherErrorReply(error) : internalError();
  return { frame: `data: ${errorBodyText(reply, requestId)}\n\n`, category: reply.category };
}

/**
 * Ends a stream that failed after its first chunk: the error event, then the connection cut with no terminating
 * chunk. A client that reads SSE error events sees the event; one that does not (the AI SDK turns it into a part and
 * ends its text stream normally) still sees a broken body, as it would if Together's connection dropped.
 */
function cutStream(res: ServerResponse, frame: string): void {
  res.write(frame, () => res.destroy());
  // A client that stopped reading never lets the frame flush: do not wait on it for ever.
  setTimeout(() => res.destroy(), CUT_FLUSH_WAIT_MS).unref();
}

/** How long a cut stream's error event may take to reach the socket before the connection is dropped anyway. */
const CUT_FLUSH_WAIT_MS = 1000;

async function writeStream(ex: Exchange, result: StreamResult, ctx: HandlerContext): Promise<void> {
  const { res } = ex;
  result.done.then(
    (record) => ctx.metrics.usage(record),
    () => undefined, // the failure reaches us through the iterator
  );
  const headers = resultHeaders(ex, result);
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers['x-accel-buffering'] = 'no';
  // No flushHeaders(): the pipeline hands over a stream only once its first content chunk is in, so the headers
  // go out with that chunk in one write (a separate header write cost ~0.06 ms of time to first byte).
  res.writeHead(200, headers);
  let first = true;
  try {
    for await (const chunk of result.chunks) {
      if (res.destroyed) break; // the client left: leaving the loop cancels upstream
      const flowing = res.write(forwardSSE(chunk));
      if (first) {
        first = false;
        ctx.metrics.firstChunkWritten(ex.route, (performance.now() - ex.started) / 1000);
      }
      if (!flowing) await drained(res);
    }
    if (!res.destroyed) res.end(SSE_DONE);
  } catch (error) {
    if (res.destroyed || ex.abort?.signal.aborted) return; // cancelled by the client: nothing to tell anyone
    const { frame, category } = streamErrorFrame(error, ex.requestId);
    ex.category = category;
    if (!isTogetherError(error)) ctx.log.error({ reqId: ex.requestId, err: error }, 'stream failed with an unexpected error');
    cutStream(res, frame);
  }
}

export async function handleInference(ex: Exchange, endpoint: Endpoint, ctx: HandlerContext): Promise<void> {
  const admitted = admit(ex);
  if (!(admitted === true || (admitted !== false && (await admitted)))) return;
  if ((endpoint === 'transcriptions' || endpoint === 'translations') && isMultipart(ex.req.headers['content-type'])) {
    const form = await readAudioForm(ex);
    if (form === undefined) return;
    ex.model = form.model;
    await sendThroughPipeline(ex, endpoint, ctx, { model: form.model }, form.bytes, form.contentType);
    return;
  }
  const read = await readJsonObject(ex);
  if (read === undefined) return;
  const body = read.body;
  // The client's bytes can go upstream unchanged unless an alias renames the model here.
  let rawBody: Buffer | undefined = read.raw;
  const generation = ex.generation;
  if (typeof body.model === 'string') {
    const model = generation.resolveAlias(body.model);
    if (model !== body.model) {
      body.model = model;
      rawBody = undefined;
    }
    ex.model = model;
  }
  await sendThroughPipeline(ex, endpoint, ctx, body, rawBody, undefined);
}

/** Reads an audio form (bounded by limits.maxBodyBytes) and the model it names; undefined when answered (413/400). */
async function readAudioForm(ex: Exchange): Promise<{ model: string; bytes: Uint8Array; contentType: string } | undefined> {
  const read = await readBody(ex.req, ex.generation.config.limits.maxBodyBytes);
  if (!read.ok) {
    if (read.reason === 'too_large') fail(ex, bodyTooLarge(ex.generation.config.limits.maxBodyBytes), true);
    return undefined;
  }
  const contentType = String(ex.req.headers['content-type']);
  const parsed = await parseAudioForm(read.body, contentType, (id) => ex.generation.resolveAlias(id));
  if (!parsed.ok) {
    fail(ex, parsed.reply);
    return undefined;
  }
  return parsed.form;
}

async function sendThroughPipeline(
  ex: Exchange,
  endpoint: Endpoint,
  ctx: HandlerContext,
  body: Record<string, unknown>,
  rawBody: Uint8Array | undefined,
  contentType: string | undefined,
): Promise<void> {
  const generation = ex.generation;
  const model = typeof body.model === 'string' ? body.model : undefined;
  ex.stream = body.stream === true;
  // Cancels upstream when the client leaves. A light controller: node's AbortSignal is slow to build per request.
  const abort = new LightAbortController();
  ex.abort = abort;
  const overrides = generation.overridesFor(model);
  let result: JsonResult | StreamResult;
  try {
    const request: PipelineRequest = { endpoint, body, signal: abort.signal, requestId: ex.requestId };
    if (rawBody !== undefined) request.rawBody = rawBody;
    if (contentType !== undefined) request.contentType = contentType;
    if (ex.upstreamKey !== undefined) request.apiKey = ex.upstreamKey;
    if (overrides !== undefined) request.overrides = overrides;
    // The client's trace continues through the pipeline (its span, then each attempt's traceparent upstream).
    const traceparent = ex.req.headers['traceparent'];
    if (typeof traceparent === 'string') {
      request.traceparent = traceparent;
      const tracestate = ex.req.headers['tracestate'];
      if (typeof tracestate === 'string') request.tracestate = tracestate;
    }
    ex.awaitingSince = performance.now();
    result = await ctx.budgets.sendFor(generation.pipeline, ex.client, ex.budget)(request);
    ex.awaitingSince = undefined;
  } catch (error) {
    ex.awaitingSince = undefined;
    if (ex.timedOut || abort.signal.aborted || ex.res.destroyed) return;
    if (isTogetherError(error)) {
      ex.attempts = attemptsOf(error);
      // The pipeline's retry layer already retried what waiting could fix (within its budget) and gave up: a
      // client's own retries would only multiply the upstream load (the openai and together-ai SDKs honour
      // this header). `retry-after`, when present, still says when trying again helps.
      const reply = togetherErrorReply(error);
      reply.headers['x-should-retry'] = 'false';
      fail(ex, reply);
      return;
    }
    ctx.log.error({ reqId: ex.requestId, err: error }, 'pipeline.send failed with something other than a TogetherError');
    fail(ex, internalError());
    return;
  }
  ex.answeredBy = result.model;
  ex.attempts = result.attempts;
  if (ex.res.destroyed || ex.timedOut) {
    if (result.kind === 'stream') void closeStream(result);
    return;
  }
  if (result.kind === 'json') writeJson(ex, result, ctx.metrics);
  else await writeStream(ex, result, ctx);
}

/** Any other `/v1/*` path: the gateway's auth and client limits, then Together, unchanged (passthrough.ts). */
export async function handleForward(ex: Exchange, ctx: HandlerContext): Promise<void> {
  const admitted = admit(ex);
  if (!(admitted === true || (admitted !== false && (await admitted)))) return;
  const unpriced = ex.budget === undefined ? undefined : unpricedForward(ex.client ?? '', ex.req.method, ex.req.url);
  if (unpriced !== undefined) {
    fail(ex, togetherErrorReply(unpriced), true);
    return;
  }
  await handlePassthrough(ex, ctx);
}

/** A stream nobody will read (the client left while it was being set up): cancel it upstream. */
async function closeStream(result: StreamResult): Promise<void> {
  result.done.catch(() => undefined);
  try {
    await result.chunks[Symbol.asyncIterator]().return?.();
  } catch {
    // cancelled; nothing to report
  }
}

function attemptsOf(error: TogetherError): number | undefined {
  const attempts = error.details?.attempts;
  return typeof attempts === 'number' ? attempts : undefined;
}

/** `GET /v1/models`: OpenAI's list shape, or Together's bare array for Together's own SDK (which expects it). */
export async function handleModels(ex: Exchange, ctx: HandlerContext): Promise<void> {
  if (!(await admit(ex))) return;
  ex.req.resume();
  const abort = new LightAbortController();
  ex.abort = abort;
  try {
    ex.awaitingSince = performance.now();
    const models = (await ex.generation.pipeline.listModels(abort.signal)).map(toWireModel);
    ex.awaitingSince = undefined;
    if (ex.res.destroyed || ex.timedOut) return;
    const together = (ex.req.headers['user-agent'] ?? '').startsWith('Together/');
    sendJson(ex.res, 200, JSON.stringify(together ? models : { object: 'list', data: models }), { 'x-request-id': ex.requestId });
  } catch (error) {
    ex.awaitingSince = undefined;
    if (ex.timedOut || abort.signal.aborted || ex.res.destroyed) return;
    if (isTogetherError(error)) fail(ex, togetherErrorReply(error));
    else {
      ctx.log.error({ reqId: ex.requestId, err: error }, 'listModels failed with something other than a TogetherError');
      fail(ex, internalError());
    }
  }
}

/** `/healthz`: 200 `ok`, or 503 `overloaded` with the thresholds passed (a load balancer then sends traffic elsewhere). */
export function handleHealth(ex: Exchange, inflight: number, overload: OverloadStatus | undefined): void {
  ex.req.resume();
  const state = ex.generation.pipeline.state();
  const open = state.breakers.filter((b) => b.state !== 'closed').map((b) => ({ model: b.model, state: b.state }));
  // Keys a 402 stopped (fingerprints): nothing is sent with them until the config is reloaded (e.g. touched).
  const stoppedKeys = state.stoppedKeys ?? [];
  const overloaded = overload?.overloaded === true;
  const body = JSON.stringify({ status: overloaded ? 'overloaded' : 'ok', config: ex.generation.id, inflight, breakers: open, stoppedKeys, overload: overload ?? null });
  sendJson(ex.res, overloaded ? 503 : 200, body, { 'x-request-id': ex.requestId, 'cache-control': 'no-store' });
}

export async function handleMetrics(ex: Exchange, metrics: GatewayMetrics): Promise<void> {
  ex.req.resume();
  const text = await metrics.text();
  if (ex.res.destroyed) return;
  ex.res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'x-request-id': ex.requestId });
  ex.res.end(text);
}
