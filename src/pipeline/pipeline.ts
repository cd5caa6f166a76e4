// createPipeline: the stages composed into one send(). Per request: check the body → resolve the model → preflight
// tokens → then the fallback layer (policy/fallback.ts) along the route of models, the retry layer (policy/retry.ts)
// per model, and per attempt the attempt layers over the exchange with the upstream (attempt.ts):
//   tracing → billing recovery → billing stop → circuit key check → circuit gate → throttle → pacing (key) → dynamic
//   pacing (key × model) → billing stop → circuit ticket
//   → timeouts → header observation
//   → classification → exchange (retries spend the key × model's retry budget: policy/retry-budget.ts)
// Each layer lives in the module of its concern; which failure gets which behaviour is errors/behaviour.ts's table.
// Every decision is reported on `events`.
import { listModels, togetherUpstream } from '../api/index.js';
import type { Transport, Upstream } from '../api/index.js';
import { createCatalog } from '../catalog/index.js';
import type { Catalog, CatalogModel, ContextObservation } from '../catalog/index.js';
import { TogetherError, abortError, classificationLayer, classifyNetworkError, isTogetherError, scrubberFor } from '../errors/index.js';
import type { KeySource, Scrubber } from '../errors/index.js';
import {
  AdaptiveThrottle,
  AttemptHooks,
  BillingRecovery,
  BillingStop,
  BreakerRegistry,
  CircuitRefusal,
  DynamicPacing,
  Pacer,
  PolicyEvents,
  RetryBudget,
  RetryPolicy,
  billingRecoveryLayer,
  billingStopLayer,
  circuitGateLayer,
  circuitKeyCheckLayer,
  circuitTicketLayer,
  composeLayers,
  createDeadline,
  createRedisPacerStore,
  dynamicPacingLayer,
  fallbackReason,
  headerObservationLayer,
  keyFingerprint,
  pacingLayer,
  resolveRetryOptions,
  retryBudgetExhaustedError,
  runFallbackRoute,
  throttleLayer,
  timeoutLayer,
} from '../policy/index.js';
import type { AttemptEnd, Deadline, Layer, PacerStore, PolicyEventMap, RateLimitSnapshot, RequestSlots, ResolvedRetryOptions } from '../policy/index.js';
import { tracingLayers } from '../tracing/index.js';
import { createTokenizerWarmer, runTokenizersOffThread } from '../tokens/index.js';
import { exchange, runAttempt } from './attempt.js';
import type { AttemptResult, PipelineAttempt } from './attempt.js';
import { checkBody, isEndpoint, isMediaEndpoint, wantsStream } from './check-body.js';
import type { CheckedBody } from './check-body.js';
import type {
  ContextOverflowPolicy,
  JsonResult,
  Pipeline,
  PipelineRequest,
  PipelineResult,
  PipelineState,
  RequestOverrides,
  StreamResult,
  TruncationSummary,
  UsageRecord,
} from './contract.js';
import {
  breakerOpenError,
  contextOverflowError,
  formWithoutBytesError,
  invalidOverridesError,
  missingKeyError,
  pipelineClosedError,
  unknownEndpointError,
  unresolvedModelError,
  unusableModelError,
} from '../errors/index.js';
import { PIPELINE_DEFAULTS, checkOverflowPolicy, checkPipelineOptions, isCatalog, resolveApiKey } from './options.js';
import type { PipelineOptions } from './options.js';
import { RedisConnections, shareBreakers } from './redis-connections.js';
import { bodyFor, budgetTokens, preflight } from './preflight.js';
import type { TokenPlan } from './preflight.js';
import { observationFromRejection, observationFromSuccess } from './context-learning.js';
import { probeCredit } from './credit-probe.js';
import { fallbacksFor } from './route.js';
import { streamChunks } from './stream.js';
import type { StreamEnd } from './stream.js';
import { usageOf, usageRecord } from './usage.js';

/** A model ready to be sent to: its catalog entry, the body for it, and the tokens to charge. */
interface Target {
  model: CatalogModel;
  body: Record<string, unknown>;
  /** The caller's own bytes for `body`, when `body` is exactly what the caller sent. */
  rawBody: string | Uint8Array | undefined;
  budgetTokens: number;
  /** The preflight's token plan, for learning the context limit from Together's answer. */
  plan: TokenPlan;
}

/** What one request carries through the stages. */
interface RequestRun {
  endpoint: CheckedBody['endpoint'];
  checked: CheckedBody;
  /** The caller's JSON text of the body, kept only when the checked body is field for field the caller's. */
  rawBody: string | Uint8Array | undefined;
  /** The media type of `rawBody` when it is not JSON (then the body is never rewritten: no fallback, no successor). */
  contentType: string | undefined;
  stream: boolean;
  apiKey: string;
  keySource: KeySource | undefined;
  requestedModel: string;
  requestId: string | undefined;
  deadline: Deadline;
  policy: ContextOverflowPolicy;
  retry: ResolvedRetryOptions;
  attemptTimeoutMs: number;
  idleTimeoutMs: number;
  progress: Progress;
  slots: RequestSlots;
}

/** What the outcome event reports: attempts sent so far (every model included) and the latest attempt's model. */
interface Progress {
  attempts: number;
  model: string | undefined;
}

/** Per-request overrides are input too: a bad one is a validation error, not a crash. */
function checkOverrides(overrides: RequestOverrides): void {
  try {
    checkOverflowPolicy('overrides.onContextOverflow', overrides.onContextOverflow);
    if (overrides.maxAttempts !== undefined) resolveRetryOptions({ maxAttempts: overrides.maxAttempts });
    for (const name of ['deadlineMs', 'attemptTimeoutMs', 'idleTimeoutMs'] as const) {
      const value = overrides[name];
      if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        throw new RangeError(`overrides.${name} must be a positive number of milliseconds (got ${String(value)}).`);
      }
    }
    if (overrides.fallbacks !== undefined && (!Array.isArray(overrides.fallbacks) || overrides.fallbacks.some((id) => typeof id !== 'string'))) {
      throw new TypeError('overrides.fallbacks must be a list of model ids ([] turns fallback off).');
    }
  } catch (error) {
    throw invalidOverridesError((error as Error).message);
  }
}

/** The `outcome` event of one send (no cost without a listener). */
function reportOutcome(events: PolicyEvents, request: PipelineRequest | undefined, startedAt: number, run: Progress, error?: TogetherError): void {
  if (events.listenerCount('outcome') === 0) return;
  const event: PolicyEventMap['outcome'] = { ok: error === undefined, model: run.model, attempts: run.attempts, elapsedMs: performance.now() - startedAt };
  if (error !== undefined) event.error = error;
  if (request?.requestId !== undefined) event.requestId = request.requestId;
  events.emit('outcome', event);
}

/** Anything thrown, as the one error type the pipeline rejects with. */
function asTogetherError(thrown: unknown, model: string | undefined): TogetherError {
  return isTogetherError(thrown) ? thrown : classifyNetworkError(thrown, { model });
}

/** What a retry makes of an attempt's throw: a refusing circuit is the fallback's to act on, not a retry's. */
function classifyAttemptThrow(thrown: unknown, model: string | undefined): TogetherError | undefined {
  return thrown instanceof CircuitRefusal ? undefined : asTogetherError(thrown, model);
}

/** The marker on a fallback model that could not be used at all (unknown, too small): skipped, reported last. */
class UnusableModel {
  constructor(readonly error: TogetherError) {}
}

/** `call.onEnd`/`onHeaders` of every attempt: one function each, not two closures per attempt. */
function onAttemptEnd(this: PipelineAttempt, callback: (end: AttemptEnd, call: PipelineAttempt) => void): void {
  this.hooks.onEnd(callback, this);
}
function onAttemptHeaders(this: PipelineAttempt, callback: (headers: Record<string, string>, call: PipelineAttempt) => void): void {
  this.hooks.onHeaders(callback, this);
}

/** A request's overrides when it has none: shared, never written. */
const NO_OVERRIDES: RequestOverrides = Object.freeze({});

/** The slots of a request no layer keeps state for (tracing off): shared, never written. */
const NO_SLOTS: RequestSlots = new Map();

function pacerStore(options: PipelineOptions, connections: RedisConnections): PacerStore | undefined {
  const store = options.pacing ? options.pacing.store : undefined;
  if (store === undefined || store === 'memory') return undefined;
  // The client fails fast: the store falls back to its in-memory insurance limiter while Redis is away.
  return createRedisPacerStore({ redis: connections.command(store.redis) });
}

export function createPipeline(options: PipelineOptions = {}): Pipeline {
  checkPipelineOptions(options);
  if (options.tokenizerThread !== false) runTokenizersOffThread();
  const events = options.events ?? new PolicyEvents();
  const { apiKey: defaultKey, keySource: defaultKeySource } = resolveApiKey(options);
  const maxResponseBytes = options.maxResponseBytes ?? PIPELINE_DEFAULTS.maxResponseBytes;
  // The upstream (transport, paths, classification, model list): Together's unless the caller gives another.
  const upstream: Upstream =
    options.upstream ??
    togetherUpstream({
      transport: options.transport,
      transportOptions: { baseUrl: options.baseUrl, apiKey: defaultKey, env: options.env, maxResponseBytes, secrets: options.secrets },
    });
  const transport: Transport = upstream.transport;
  /** Every value no text from upstream may carry on: configured secrets, the default key, every key sent with. */
  const secrets: string[] = [...(options.secrets ?? []), ...(defaultKey !== undefined ? [defaultKey] : [])];
  let scrubber: Scrubber = scrubberFor(secrets);
  /** Keys seen beyond this many are not added (each adds a few substring checks to every answer). */
  const MAX_SECRETS = 256;
  const learnSecret = (key: string): void => {
    if (secrets.length >= MAX_SECRETS || secrets.includes(key)) return;
    secrets.push(key);
    scrubber = scrubberFor(secrets);
  };
  let catalogKey = defaultKey;
  const ownsCatalog = !isCatalog(options.catalog);
  const catalog: Catalog = isCatalog(options.catalog)
    ? options.catalog
    : createCatalog({
        // The list loads with the pipeline's key or, without one (resilientFetch, a gateway), the first caller's.
        fetchModels: (signal) =>
          upstream.listModels({
            signal,
            keySource: defaultKeySource,
            secrets: scrubber.secrets,
            ...(catalogKey !== undefined ? { apiKey: catalogKey } : {}),
          }),
        ...options.catalog,
        ...(options.routes !== undefined ? { routes: options.routes } : {}),
      });
  const retryDefaults = resolveRetryOptions(options.retry);
  const { store: breakerStore, ...breakerOptions } = options.breaker ?? {};
  const breakers = new BreakerRegistry({ ...breakerOptions, events });
  const connections = new RedisConnections();
  const breakerSync = shareBreakers(breakerStore, breakers, connections);
  const store = pacerStore(options, connections);
  const pacer =
    options.pacing === false
      ? undefined
      : new Pacer({
          ...(options.pacing?.requestsPerSecond !== undefined ? { requestsPerSecond: options.pacing.requestsPerSecond } : {}),
          ...(options.pacing?.tokensPerMinute !== undefined ? { tokensPerMinute: options.pacing.tokensPerMinute } : {}),
          ...(options.pacing?.learnFromHeaders !== undefined ? { learnFromHeaders: options.pacing.learnFromHeaders } : {}),
          ...(options.pacing?.initialRequestsPerSecond !== undefined ? { initialRequestsPerSecond: options.pacing.initialRequestsPerSecond } : {}),
          ...(options.pacing?.safetyFactor !== undefined ? { safetyFactor: options.pacing.safetyFactor } : {}),
          ...(store !== undefined ? { store } : {}),
          // The key's own limits only: a model's dynamic limit paces that model (dynamicPacing below).
          limitHeaders: 'fixed',
          // A pause the upstream asks for is held no longer than a retry-after would be.
          maxWaitMs: retryDefaults.maxRetryAfterMs > 0 ? retryDefaults.maxRetryAfterMs : 1,
          events,
        });
  const dynamicPacing =
    options.pacing === false || options.pacing?.learnFromHeaders === false
      ? undefined
      : new DynamicPacing({ events, maxWaitMs: retryDefaults.maxRetryAfterMs > 0 ? retryDefaults.maxRetryAfterMs : 1 });
  const billing = new BillingStop();
  const probeStore = options.billingProbe?.store;
  const billingRecovery = new BillingRecovery({
    billing,
    probe: (apiKey) => probeCredit(transport, catalog, apiKey, options.billingProbe?.model),
    probeIntervalMs: options.billingProbe?.intervalMs,
    redis: probeStore !== undefined && probeStore !== 'memory' ? { client: connections.command(probeStore.redis), subscriber: connections.subscriber(probeStore.redis) } : undefined,
  });
  const budgetStore = options.retryBudget ? options.retryBudget.store : undefined;
  const retryBudget =
    options.retryBudget === false
      ? undefined
      : new RetryBudget(options.retryBudget ?? {}, budgetStore !== undefined && budgetStore !== 'memory' ? { redis: connections.command(budgetStore.redis) } : {});
  const throttle = options.throttle === false ? undefined : new AdaptiveThrottle(options.throttle ?? {});
  const maxFallbacks = options.maxFallbacks ?? PIPELINE_DEFAULTS.maxFallbacks;
  const assumedCompletionTokens = options.assumedCompletionTokens ?? PIPELINE_DEFAULTS.assumedCompletionTokens;
  /** Keys seen, by fingerprint, with the rate-limit headers of their latest answer. */
  const keys = new Map<string, { apiKey: string; snapshot: RateLimitSnapshot }>();
  const tokenizers = createTokenizerWarmer({ enabled: options.preloadTokenizers !== false });
  let closed = false;

  const retryPolicy = new RetryPolicy({ ...retryDefaults, events });
  const tracing = tracingLayers<PipelineRequest, PipelineAttempt, AttemptResult, PipelineResult>(options.tracing);
  /** The attempt: its layers, outermost first, over the exchange with the upstream. */
  const attemptLayers: (Layer<PipelineAttempt, AttemptResult> | undefined)[] = [
    tracing?.attempt,
    // Outside the billing stop: applies peers' 402 stops, and has this process's own probed until credit is back.
    billingRecoveryLayer(billingRecovery),
    billingStopLayer(billing),
    // An open circuit never hides a bad key: a key never seen answered is checked (a model list) before a refusal.
    circuitKeyCheckLayer({
      verify: (apiKey, signal) =>
        listModels(transport, { apiKey, signal, secrets: scrubber.secrets }).then(
          () => undefined,
          (error: unknown) => (isTogetherError(error) && error.category === 'auth' ? error : undefined),
        ),
    }),
    circuitGateLayer(breakers),
    // Before pacing: an attempt the model's throttle refuses spends no rate budget.
    throttle !== undefined ? throttleLayer(throttle) : undefined,
    pacer !== undefined ? pacingLayer(pacer) : undefined,
    dynamicPacing !== undefined ? dynamicPacingLayer(dynamicPacing) : undefined,
    // A 402 may have stopped the key while this request waited for budget: nothing more is sent with it.
    pacer !== undefined ? billingStopLayer(billing, { checkOnly: true }) : undefined,
    circuitTicketLayer(breakers),
    timeoutLayer(),
    headerObservationLayer((apiKey: string, snapshot: RateLimitSnapshot) => {
      const entry = keys.get(keyFingerprint(apiKey));
      if (entry && (snapshot.requestsRemaining !== undefined || snapshot.tokensRemaining !== undefined)) entry.snapshot = snapshot;
    }),
    classificationLayer(),
  ];
  const attempt = composeLayers(
    attemptLayers,
    exchange({
      upstream,
      events,
      scrubber: () => scrubber,
      maxStreamEventBytes: options.maxStreamEventBytes ?? PIPELINE_DEFAULTS.maxStreamEventBytes,
      maxResponseBytes,
    }),
  );

  /** A fallback model: resolved exactly (no migration) and preflighted; an error is a reason to skip it. */
  async function prepare(run: RequestRun, id: string): Promise<Target | TogetherError> {
    const resolution = await catalog.resolve(id, { signal: run.deadline.signal });
    if (!resolution.ok) return unresolvedModelError(resolution);
    return preflightOn(run, resolution.model);
  }

  async function preflightOn(run: RequestRun, model: CatalogModel): Promise<Target | TogetherError> {
    const mode = run.policy === 'clamp' || run.policy === 'truncate' ? run.policy : false;
    const result = await preflight(run.checked, model, mode);
    if (!result.fits) return contextOverflowError(result.facts);
    tokenizers.warm(model);
    const truncation = result.plan.truncation;
    if (truncation !== undefined) {
      events.emit('truncated', {
        model: model.id,
        droppedMessages: truncation.droppedMessages,
        cutMessageIndex: truncation.cutMessageIndex,
        tokensBefore: truncation.tokensBefore,
        tokensAfter: truncation.tokensAfter,
        requestId: run.requestId,
      });
    }
    // The caller's bytes go upstream as is only when nothing changed the body: same model, no clamp, no truncation.
    const unchanged =
      run.rawBody !== undefined && model.id === run.checked.body.model && result.plan.clampedFrom === undefined && truncation === undefined;
    return {
      model,
      // Forwarded as the caller's bytes, the body is the caller's own object (no copy for the model id).
      body: unchanged ? run.checked.body : bodyFor(run.checked, model.id, result.plan),
      rawBody: unchanged ? run.rawBody : undefined,
      // Images, rerank and audio spend requests, not tokens/min: nothing to charge that budget.
      budgetTokens: isMediaEndpoint(run.endpoint) ? 0 : budgetTokens(result.plan, assumedCompletionTokens),
      plan: result.plan,
    };
  }

  /** Tells the catalog what Together's answer proved about a model's context limit (never fails the request). */
  function learnContext(model: string, observation: ContextObservation | undefined): void {
    if (observation === undefined) return;
    try {
      catalog.learnContextLimit(model, observation);
    } catch {
      // A catalog that cannot learn (bounded, or a custom one) still answers the request.
    }
  }

  /** The retry layer: attempts on one model until one succeeds, the retry policy gives up, or the circuit refuses. */
  function attemptsOn(
    run: RequestRun,
    target: Target,
    fallbackFrom: { model: string; why: string } | undefined,
    spillOver?: () => boolean,
  ): Promise<AttemptResult> {
    const model = target.model.id;
    return retryPolicy.execute(
      ({ attempt: number, retryOf }) => {
        // Each request on a model earns its share of retries; each retry spends one (see onRetry).
        if (number === 1) retryBudget?.deposit(run.apiKey, model);
        return runAttempt(attempt, {
          endpoint: run.endpoint,
          stream: run.stream,
          model,
          body: target.body,
          rawBody: target.rawBody,
          contentType: run.contentType,
          apiKey: run.apiKey,
          keySource: run.keySource,
          budgetTokens: target.budgetTokens,
          signal: run.deadline.signal,
          requestSignal: run.deadline.signal,
          attempt: number,
          attemptTimeoutMs: run.attemptTimeoutMs,
          idleTimeoutMs: run.idleTimeoutMs,
          requestId: run.requestId,
          progress: run.progress,
          headers: {},
          retryOf,
          fallbackFrom: number === 1 ? fallbackFrom : undefined,
          slots: run.slots,
          hooks: new AttemptHooks(),
          spillOver,
          onEnd: onAttemptEnd,
          onHeaders: onAttemptHeaders,
        });
      },
      {
        signal: run.deadline.signal,
        deadlineAt: run.deadline.at,
        model,
        requestId: run.requestId,
        options: run.retry,
        attemptEvents: false,
        classify: classifyAttemptThrow,
        aborted: abortError,
        onRetry:
          retryBudget === undefined
            ? undefined
            : async ({ error }) => {
                if (!(await retryBudget.withdraw(run.apiKey, model))) throw retryBudgetExhaustedError(error, retryBudget.options);
              },
      },
    );
  }

  /** The route: the primary, then its fallbacks; under 'fallback', an overflowing primary's larger-context models. */
  async function answer(run: RequestRun, primary: CatalogModel, fallbacks: string[] | undefined): Promise<{ result: AttemptResult; target: Target }> {
    const first = await preflightOn(run, primary);
    let rest: string[] | undefined;
    if (first instanceof TogetherError) {
      if (run.policy !== 'fallback') throw first;
      const needed = Number(first.details?.['promptTokens'] ?? 0) + Number(first.details?.['maxTokens'] ?? 0);
      rest = (fallbacks ?? catalog.largerContextModels(primary.id, needed)).filter((id, i, all) => id !== primary.id && all.indexOf(id) === i);
      if (rest.length === 0) {
        throw contextOverflowError({
          model: primary.id,
          limit: Number(first.details?.['limit']),
          promptTokens: Number(first.details?.['promptTokens']),
          maxTokens: Number(first.details?.['maxTokens']),
          exact: true,
          tried: 'No larger-context model of its family is available to fall back to.',
        });
      }
    }
    /** The latest failure of an attempt that was sent: what the caller sees when no model is left. */
    let attemptError: TogetherError | undefined;
    /** The first model that could not be used at all (unknown, too small): reported when nothing was sent. */
    let unusable: TogetherError | undefined;
    let refused: string[] | undefined;
    const signal = run.deadline.signal;
    return runFallbackRoute(
      primary.id,
      // Nearly always the primary answers: its fallback route is worked out only when it did not.
      () => rest ?? fallbacksFor(catalog, primary.id, fallbacks, maxFallbacks),
      async (id, index, fallbackFrom) => {
        const target = index === 0 ? first : await prepare(run, id);
        if (target instanceof TogetherError) throw new UnusableModel(target);
        // Only the primary spills over (to a route worked out only then); a fallback model waits its turn.
        const spillOver = index === 0 ? () => (rest ?? fallbacksFor(catalog, primary.id, fallbacks, maxFallbacks)).length > 0 : undefined;
        let result: AttemptResult;
        try {
          result = await attemptsOn(run, target, fallbackFrom, spillOver);
        } catch (thrown) {
          // Upstream refused as over the context what preflight let through: the limit is lower than planned.
          if (isTogetherError(thrown) && thrown.category === 'context_length') learnContext(target.model.id, observationFromRejection(thrown, target.plan));
          throw thrown;
        }
        if (result.kind === 'json' && run.endpoint === 'chat') learnContext(target.model.id, observationFromSuccess(result.body, target.plan, target.model.contextLength));
        return { result, target };
      },
      {
        breakers,
        events,
        requestId: run.requestId,
        signal,
        aborted: abortError,
        trigger(thrown, id) {
          if (thrown instanceof UnusableModel) {
            unusable ??= thrown.error;
            // A model that cannot take the request is skipped whatever made it unusable.
            return fallbackReason(thrown.error) === undefined ? unusableModelError(thrown.error) : thrown.error;
          }
          if (thrown instanceof CircuitRefusal) {
            (refused ??= []).push(id);
            return 'breaker_open';
          }
          const error = (attemptError = asTogetherError(thrown, id));
          // Upstream disagreed with the preflight about the context: only the 'fallback' policy moves on for it.
          if (error.category === 'context_length' && run.policy !== 'fallback') throw error;
          return error;
        },
        exhausted: () =>
          attemptError ?? unusable ?? breakerOpenError(refused ?? [], refused !== undefined ? Math.min(...refused.map((id) => breakers.msUntilProbe(id))) : undefined),
      },
    );
  }

  /** The truncation the answering model's preflight made, for the result (the gateway's x-tether-truncated header). */
  function truncatedOf(target: Target): { truncated?: TruncationSummary } {
    const truncation = target.plan.truncation;
    if (truncation === undefined) return {};
    const { droppedMessages, cutMessageIndex, tokensBefore, tokensAfter } = truncation;
    return { truncated: { droppedMessages, cutMessageIndex, tokensBefore, tokensAfter } };
  }

  function jsonResult(run: RequestRun, target: Target, result: Extract<AttemptResult, { kind: 'json' }>): JsonResult {
    return {
      kind: 'json',
      status: result.status,
      body: result.body,
      ...(result.rawBody !== undefined ? { rawBody: result.rawBody } : {}),
      ...(result.binary !== undefined ? { binary: result.binary } : {}),
      record: usageRecord(target.model.id, usageOf(result.body), target.model.pricing),
      model: target.model.id,
      requestedModel: run.requestedModel,
      headers: result.headers,
      attempts: run.progress.attempts,
      ...(run.requestId !== undefined ? { requestId: run.requestId } : {}),
      ...truncatedOf(target),
    };
  }

  function streamResult(
    run: RequestRun,
    target: Target,
    result: Extract<AttemptResult, { kind: 'stream' }>,
    ended: (end: StreamEnd) => void,
  ): StreamResult {
    let resolveDone!: (record: UsageRecord) => void;
    let rejectDone!: (error: TogetherError) => void;
    const done = new Promise<UsageRecord>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    done.catch(() => {}); // awaited by whoever wants it; never an unhandled rejection
    const chunks = streamChunks(result.opened, result.scope, target.model.id, (end) => {
      // The attempt really ends here: its layers settle (breaker ticket, timers, trace span).
      result.end(end.kind === 'completed' ? { kind: 'success' } : end.kind === 'failed' ? { kind: 'failure', error: end.error } : { kind: 'released' });
      ended(end);
      if (end.kind === 'failed') rejectDone(end.error);
      else resolveDone(usageRecord(target.model.id, end.usage, target.model.pricing));
    });
    return {
      kind: 'stream',
      status: 200,
      chunks,
      done,
      model: target.model.id,
      requestedModel: run.requestedModel,
      headers: result.headers,
      attempts: run.progress.attempts,
      ...(run.requestId !== undefined ? { requestId: run.requestId } : {}),
      ...truncatedOf(target),
    };
  }

  async function sendOne(request: PipelineRequest, slots: RequestSlots): Promise<PipelineResult> {
    const startedAt = performance.now();
    let overrides = request?.overrides ?? NO_OVERRIDES;
    const progress: Progress = { attempts: 0, model: undefined };
    let deadline: Deadline | undefined;
    let handedOff = false;
    try {
      if (closed) throw pipelineClosedError();
      if (!isEndpoint(request?.endpoint)) throw unknownEndpointError(request?.endpoint);
      if (overrides !== NO_OVERRIDES) checkOverrides(overrides);
      const checked = checkBody(request.endpoint, request.body);
      if (checked instanceof TogetherError) throw checked;
      // A form (or any body that is not JSON) is sent as the caller's bytes: it cannot be rewritten for another model.
      if (request.contentType !== undefined) {
        if (request.rawBody === undefined) throw formWithoutBytesError();
        overrides = { ...overrides, fallbacks: [], allowSuccessor: false };
      }
      const apiKey = request.apiKey?.trim() || defaultKey;
      const keySource = request.apiKey?.trim() ? undefined : defaultKeySource;
      if (apiKey === undefined) throw missingKeyError(keySource);
      billingRecovery.seen(apiKey);
      const stopped = billing.check(apiKey);
      if (stopped) throw stopped;
      if (!keys.has(keyFingerprint(apiKey))) {
        keys.set(keyFingerprint(apiKey), { apiKey, snapshot: {} });
        learnSecret(apiKey);
      }
      catalogKey ??= apiKey;

      deadline = createDeadline({ timeoutMs: overrides.deadlineMs ?? options.deadlineMs, signal: request.signal });
      // An abort (caller or deadline) disposes the deadline itself: its timer never outlives the request.
      const owned = deadline;
      const run: RequestRun = {
        endpoint: checked.endpoint,
        checked,
        rawBody: checked.verbatim === true ? request.rawBody : undefined,
        contentType: request.rawBody !== undefined ? request.contentType : undefined,
        stream: wantsStream(checked),
        apiKey,
        keySource,
        requestedModel: checked.body.model,
        requestId: request.requestId,
        deadline,
        policy: overrides.onContextOverflow ?? options.onContextOverflow ?? PIPELINE_DEFAULTS.onContextOverflow,
        retry: overrides.maxAttempts !== undefined ? resolveRetryOptions({ ...retryDefaults, maxAttempts: overrides.maxAttempts }) : retryDefaults,
        attemptTimeoutMs: overrides.attemptTimeoutMs ?? options.attemptTimeoutMs ?? PIPELINE_DEFAULTS.attemptTimeoutMs,
        idleTimeoutMs: overrides.idleTimeoutMs ?? options.idleTimeoutMs ?? PIPELINE_DEFAULTS.idleTimeoutMs,
        progress,
        slots,
      };

      let resolution;
      try {
        resolution = await catalog.resolve(run.requestedModel, {
          allowSuccessor: overrides.allowSuccessor ?? options.allowSuccessor ?? false,
          signal: deadline.signal,
        });
      } catch (error) {
        throw deadline.signal.aborted ? abortError(deadline.signal.reason, run.requestedModel) : asTogetherError(error, run.requestedModel);
      }
      if (!resolution.ok) throw unresolvedModelError(resolution);

      const { result, target } = await answer(run, resolution.model, overrides.fallbacks);
      if (result.kind === 'json') {
        const json = jsonResult(run, target, result);
        reportOutcome(events, request, startedAt, progress);
        return json;
      }
      handedOff = true;
      return streamResult(run, target, result, (end) => {
        owned.dispose();
        reportOutcome(events, request, startedAt, progress, end.kind === 'failed' ? end.error : undefined);
      });
    } catch (thrown) {
      const error = request?.signal?.aborted ? abortError(request.signal.reason, progress.model) : asTogetherError(thrown, progress.model);
      reportOutcome(events, request, startedAt, progress, error);
      throw error;
    } finally {
      if (!handedOff) deadline?.dispose();
    }
  }

  /** The request layers (tracing's request span) around each send; without any, a send is just sendOne. */
  const requestLayer = tracing?.request;
  const send: (request: PipelineRequest) => Promise<PipelineResult> =
    requestLayer === undefined
      ? (request) => sendOne(request, NO_SLOTS)
      : (() => {
          const layered = requestLayer(({ request, slots }) => sendOne(request, slots));
          return (request: PipelineRequest) => layered({ request, slots: new Map() });
        })();

  function state(): PipelineState {
    const pacing: PipelineState['pacing'] = [];
    for (const [id, { apiKey, snapshot }] of keys) {
      const limits = pacer?.limits(apiKey);
      pacing.push({
        key: id,
        ...(limits?.requestsPerSecond !== undefined ? { requestsPerSecond: limits.requestsPerSecond } : {}),
        ...(snapshot.requestsRemaining !== undefined ? { requestsRemaining: snapshot.requestsRemaining } : {}),
        ...(limits?.tokensPerMinute !== undefined ? { tokensPerMinute: limits.tokensPerMinute } : {}),
        ...(snapshot.tokensRemaining !== undefined ? { tokensRemaining: snapshot.tokensRemaining } : {}),
        queued: pacer?.pending(apiKey) ?? 0,
      });
    }
    const breakerList = Object.entries(breakers.snapshot()).map(([model, circuit]) => ({ model, state: circuit.state }));
    return { pacing, breakers: breakerList, stoppedKeys: billing.keys() };
  }

  return {
    send,
    async listModels(signal) {
      return catalog.list(signal);
    },
    events,
    state,
    resetKey(apiKey) {
      const key = apiKey?.trim() || defaultKey;
      // Resumed here and, through Redis, in every process sharing it.
      return key === undefined ? false : billingRecovery.resume(key);
    },
    async close() {
      if (closed) return;
      closed = true;
      tokenizers.close();
      billingRecovery.close();
      if (ownsCatalog) catalog.close();
      await pacer?.close();
      await dynamicPacing?.close();
      await breakerSync?.close();
      await connections.close();
      await upstream.close();
      await tracing?.close();
    },
  };
}
