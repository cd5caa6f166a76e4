// The checks every inference request passes, in Together's order as far as it is known: key, body, model,
// (the route's own checks: context length), then injected faults, rate limits, credits — and the SSE writer.
import type { EmulatorKey } from './config.js';
import { supports } from './catalog.js';
import type { CatalogEndpoint, EmulatorModel } from './catalog.js';
import { usageCost } from './credits.js';
import { contentResponseId, REPRODUCIBLE_CREATED } from './ids.js';
import { creditLimit, echoed, invalidApiKey, invalidRequest, modelNotAvailable, modelNotFound, platformCapacityExceeded, tierTooLow } from './errors.js';
import type { FaultContext, PreResponsePlan, StreamPlan } from './faults.js';
import { pause, readJsonBody, resetConnection, sendError, untilGone, writeChunk } from './http.js';
import type { Exchange } from './http.js';
import { limiterFor } from './state.js';
import type { EmulatorState } from './state.js';
import { validateBody } from './validate.js';
import type { z } from 'zod';

export type Endpoint = CatalogEndpoint;

/** The key from `Authorization: Bearer <key>`, or a 401 sent. */
export function authenticate(state: EmulatorState, ex: Exchange): EmulatorKey | undefined {
  const header = ex.req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  const key = match ? state.keys.get((match[1] as string).trim()) : undefined;
  state.stats.key(key ? key.name : '(none)');
  if (key) ex.logFields.key = key.name;
  if (!key) sendError(ex, invalidApiKey());
  return key;
}

/** Key, then JSON body, then its schema: the validated body, or undefined once an error is sent. */
export async function acceptRequest<T extends { model: string }>(
  state: EmulatorState,
  ex: Exchange,
  schema: z.ZodType<T>,
  example: string,
  /** How to fix each field of this endpoint, where it differs from chat's (validate.ts FIXES). */
  fixes: Readonly<Record<string, string>> = {},
): Promise<{ key: EmulatorKey; body: T } | undefined> {
  const key = authenticate(state, ex);
  if (!key) return undefined;
  const limiter = limiterFor(state, key);
  ex.extraHeaders = () => limiter.headers(state.now());
  const read = await readJsonBody(ex, state.config.maxBodyBytes);
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return undefined;
  }
  const checked = validateBody(schema, read.value, example, fixes);
  if (!checked.ok) {
    sendError(ex, checked.error);
    return undefined;
  }
  state.stats.model(checked.value.model);
  ex.logFields.model = echoed(checked.value.model);
  const model = checked.value.model;
  // What the upstream saw, per key and model, whatever the answer turns out to be (for amplification figures).
  ex.res.once('close', () => state.upstream.outcome(key.name, model, ex.res.writableFinished ? ex.res.statusCode : 'reset'));
  ex.extraHeaders = () => limiter.headers(state.now(), model);
  return { key, body: checked.value };
}

const ENDPOINT_NAMES: Record<Endpoint, string> = {
  chat: 'chat completions',
  completion: 'completions',
  embedding: 'embeddings',
  image: 'image generation',
  rerank: 'rerank',
  speech: 'speech synthesis',
  transcription: 'transcriptions and translations',
};

/** Where a model of each type is served, for the "does not support" error. */
const ENDPOINT_FOR_TYPE: Record<string, string> = {
  embedding: '/v1/embeddings',
  image: '/v1/images/generations',
  rerank: '/v1/rerank',
  audio: '/v1/audio/speech (text to speech) or /v1/audio/transcriptions (Whisper)',
  transcribe: '/v1/audio/transcriptions',
};

/** The model if this key may call it on this endpoint; otherwise Together's error is sent. */
export function resolveModel(state: EmulatorState, ex: Exchange, key: EmulatorKey, id: string, endpoint: Endpoint): EmulatorModel | undefined {
  const found = state.catalog.lookup(id);
  if (found.kind === 'unknown') {
    sendError(ex, modelNotFound(id));
    return undefined;
  }
  if (found.kind === 'not_serverless') {
    sendError(ex, modelNotAvailable(id));
    return undefined;
  }
  const model = found.model;
  if (key.tier < model.minTier) {
    sendError(ex, tierTooLow(model.minTier));
    return undefined;
  }
  if (!supports(model, endpoint)) {
    // Together's text for this case is unknown; ours names the model type and the endpoint to use instead.
    const use = ENDPOINT_FOR_TYPE[model.type] ?? '/v1/chat/completions or /v1/completions';
    sendError(ex, invalidRequest(`Model ${id} is a ${model.type} model and does not support ${ENDPOINT_NAMES[endpoint]}. Use ${use}.`, 'model'));
    return undefined;
  }
  return model;
}

/** The configured faults' plan and the scenario's, together: latencies add up, the first status wins. */
function mergePlans(base: PreResponsePlan, extra: PreResponsePlan | undefined): PreResponsePlan {
  if (!extra) return base;
  const status = base.status ?? extra.status;
  return { latencyMs: base.latencyMs + extra.latencyMs, reset: base.reset || extra.reset, stall: base.stall || extra.stall, ...(status ? { status } : {}) };
}

function mergeStreamPlans(base: StreamPlan, extra: StreamPlan | undefined): StreamPlan {
  if (!extra) return base;
  const min = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  const cutAfter = min(base.cutAfter, extra.cutAfter);
  const stallAfter = min(base.stallAfter, extra.stallAfter);
  return {
    chunkDelayMs: Math.max(base.chunkDelayMs, extra.chunkDelayMs),
    ...(cutAfter === undefined ? {} : { cutAfter }),
    ...(stallAfter === undefined ? {} : { stallAfter }),
  };
}

export interface Admission {
  /** Set for streaming requests: how faults disturb the stream. */
  streamPlan?: StreamPlan;
}

/**
 * Faults (configured, then the scenario's: latency, reset, status, stall), then the key's limits (429 above its
 * rate, dynamic or fixed), then the model's platform capacity (503 for a key under its rate), then its credits.
 * On success the usage is charged to the limits, capacity and credits; on any rejection nothing is charged.
 */
export async function admit(
  state: EmulatorState,
  ex: Exchange,
  request: {
    key: EmulatorKey;
    model: EmulatorModel;
    stream: boolean;
    promptTokens: number;
    completionTokens: number;
    /** The price of a request not billed by tokens (images per megapixel, audio per character or minute). */
    costUsd?: number;
  },
): Promise<Admission | undefined> {
  const faultContext: FaultContext = { path: ex.path, inference: true, model: request.model.id, key: request.key, stream: request.stream };
  const scenarioFaults = state.scenario.faults(ex.arrivedAt);
  const pre = mergePlans(state.faults.beforeResponse(faultContext), scenarioFaults?.beforeResponse(faultContext));
  if (!(await pause(ex, state.config.latencyMs + pre.latencyMs))) return undefined;
  if (pre.reset) {
    resetConnection(ex);
    return undefined;
  }
  if (pre.status) {
    sendError(ex, pre.status);
    return undefined;
  }
  if (pre.stall) {
    await untilGone(ex);
    return undefined;
  }
  const totalTokens = request.promptTokens + request.completionTokens;
  const limiter = limiterFor(state, request.key);
  // As of arrival, as Together admits requests: counting the prompt took time here (a family's first count waits
  // for its tokenizer), and deciding at the end of it would bunch requests a client had spaced out.
  const now = ex.arrivedAt;
  const decision = limiter.check(now, totalTokens, request.model.id);
  if (!decision.ok) {
    sendError(ex, decision.error);
    return undefined;
  }
  const capacity = state.capacity.check(now, request.model.id, state.scenario.capacityOverride(request.model.id, now));
  if (!capacity.ok) {
    sendError(ex, platformCapacityExceeded());
    return undefined;
  }
  if (state.faults.creditsRunOut(faultContext)) state.credits.set(request.key.key, 0);
  if (state.credits.exhausted(request.key.key)) {
    sendError(ex, creditLimit());
    return undefined;
  }
  limiter.consume(now, totalTokens, request.model.id);
  const release = state.capacity.admit(now, request.model.id);
  ex.res.once('close', release);
  const costUsd = request.costUsd ?? usageCost({ prompt_tokens: request.promptTokens, completion_tokens: request.completionTokens }, request.model.pricing);
  state.credits.charge(request.key.key, costUsd);
  state.upstream.cost(request.key.name, request.model.id, costUsd);
  state.stats.inference(request.promptTokens, request.completionTokens);
  return request.stream ? { streamPlan: mergeStreamPlans(state.faults.streamPlan(faultContext), scenarioFaults?.streamPlan(faultContext)) } : {};
}

/**
 * Send SSE events (`data: <json>` + blank line, then `data: [DONE]`), honouring the stream faults: cut (socket
 * destroyed, no [DONE]), stall (nothing more sent, socket left open), slow (a pause before each chunk).
 */
/** Events made one at a time as they are sent (long audio streams), instead of all held in memory. */
export interface LazyEvents {
  length: number;
  get(index: number): unknown;
}

export async function sendEventStream(ex: Exchange, events: readonly unknown[] | LazyEvents, plan: StreamPlan): Promise<void> {
  const eventAt = (i: number): unknown => (Array.isArray(events) ? events[i] : (events as LazyEvents).get(i));
  if (ex.res.headersSent || ex.signal.aborted) return;
  ex.res.writeHead(200, {
    ...ex.extraHeaders(),
    'content-type': 'text/event-stream;charset=utf-8',
    'cache-control': 'no-cache',
  });
  ex.res.flushHeaders();
  for (let i = 0; i <= events.length; i++) {
    // A cut or stall set beyond the last chunk still happens before [DONE].
    const last = i === events.length;
    if (plan.cutAfter !== undefined && (i >= plan.cutAfter || last)) {
      resetConnection(ex);
      return;
    }
    if (plan.stallAfter !== undefined && (i >= plan.stallAfter || last)) {
      await untilGone(ex);
      return;
    }
    if (last) break;
    if (!(await pause(ex, plan.chunkDelayMs))) return;
    await writeChunk(ex, `data: ${JSON.stringify(eventAt(i))}\n\n`);
    if (ex.signal.aborted) return;
  }
  await writeChunk(ex, 'data: [DONE]\n\n');
  ex.res.end();
}

/** `id`, `created` and `model` of a response body: per request, or derived from the request in reproducible mode. */
export function responseEnvelope(
  state: EmulatorState,
  ex: Exchange,
  path: string,
  body: unknown,
  model: string,
): { id: string; created: number; model: string } {
  if (state.config.reproducible) {
    return { id: contentResponseId(state.config.seed, path, body), created: REPRODUCIBLE_CREATED, model };
  }
  return { id: ex.requestId, created: Math.floor(state.now() / 1000), model };
}
