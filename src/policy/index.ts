/**
 * policy: the resilience building blocks the pipeline composes — retry/backoff, timeouts, pacing (rate budgets
 * per API key, in memory or shared through Redis), circuit breakers per model (their transitions shared through
 * Redis when asked), fallback routes — and the typed events they all report through. Nothing here parses HTTP
 * bodies: inputs are TogetherErrors and headers.
 */
export { systemClock, clampTimerMs, MAX_TIMER_MS } from './clock.js';
export type { Clock } from './clock.js';
export { sleep } from './sleep.js';
export { PolicyEvents } from './events.js';
export type {
  BreakerState,
  FallbackReason,
  PolicyEvent,
  PolicyEventMap,
  PolicyEventName,
  PolicyEventsOptions,
  PolicyListener,
} from './events.js';
export {
  DEFAULT_RETRY_OPTIONS,
  NEVER_RETRIED,
  RetryPolicy,
  backoffDelay,
  decideRetry,
  resolveRetryOptions,
} from './retry.js';
export type {
  AttemptContext,
  ResolvedRetryOptions,
  RetryDecision,
  RetryExecuteOptions,
  RetryOptions,
  RetryPolicyOptions,
  RetryState,
} from './retry.js';
export { LightAbortController, createAttemptScope, createDeadline, timeoutError } from './timeout.js';
export type { AttemptScope, AttemptScopeOptions, Deadline, DeadlineOptions, TimeoutKind } from './timeout.js';
export { DEFAULT_HEADER_UNITS, MAX_RESET_MS, parseRateLimitHeaders, parseResetMs, rateLimitSnapshot, readHeader, readRateLimitValues } from './rate-limit-headers.js';
export type { HeaderSource, HeaderUnits, RateLimitSnapshot, RateUnit } from './rate-limit-headers.js';
export { Pacer, SENT_NOW } from './pacer.js';
export type { AcquireOptions, EffectiveLimits, PaceLimits, PacerOptions } from './pacer.js';
export { RateLimiterPacerStore, createMemoryPacerStore } from './pacer-store.js';
export type { BudgetCounter, CounterValue, LimiterFactory, PacerStore, Reservation, ReserveRequest } from './pacer-store.js';
export { createRedisPacerStore } from './redis-pacer-store.js';
export type { RedisPacerStoreOptions } from './redis-pacer-store.js';
export { keyFingerprint } from './key-fingerprint.js';
export { BreakerRegistry, OVERLOAD_CATEGORIES } from './breaker.js';
export type { BreakerOptions, BreakerTicket, CircuitSnapshot, CircuitTransition, TransitionListener } from './breaker.js';
export { decodeTransition, startRedisBreakerSync } from './redis-breaker-sync.js';
export type { BreakerSync, RedisBreakerSyncOptions, SharedTransition } from './redis-breaker-sync.js';
export {
  DEFAULT_FALLBACK_ON,
  FallbackRoute,
  checkRoute,
  fallbackReason,
  firstModel,
  nextModel,
  runFallbackRoute,
} from './fallback.js';
export type { CircuitView, FallbackStep, FallbackTrigger, RouteOptions, RouteRunOptions } from './fallback.js';
export { AttemptHooks, composeLayers } from './layer.js';
export type { AttemptCall, AttemptEnd, Layer, RequestSlots, Send } from './layer.js';
export { BillingStop, billingStopLayer } from './billing-stop.js';
export { CircuitRefusal, circuitGateLayer, circuitTicketLayer } from './breaker-layer.js';
export { circuitKeyCheckLayer } from './circuit-key-check.js';
export { DEFAULT_DYNAMIC_MAX_QUEUE_MS, DynamicPacing, dynamicLimitSaturatedError, dynamicPacingLayer, isDynamicLimit } from './dynamic-pacing.js';
export type { DynamicPacingOptions } from './dynamic-pacing.js';
export { BillingRecovery, DEFAULT_BILLING_PROBE_INTERVAL_MS, billingRecoveryLayer } from './billing-recovery.js';
export type { BillingRecoveryOptions, ProbeOutcome } from './billing-recovery.js';
export { DEFAULT_RETRY_BUDGET, RetryBudget, resolveRetryBudgetOptions, retryAllowance, retryBudgetExhaustedError } from './retry-budget.js';
export type { ResolvedRetryBudgetOptions, RetryBudgetOptions, RetryBudgetStoreOptions } from './retry-budget.js';
export { AdaptiveThrottle, DEFAULT_THROTTLE, rejectionProbability, resolveThrottleOptions, throttleLayer, throttledLocallyError } from './throttle.js';
export type { AdaptiveThrottleOptions, ResolvedThrottleOptions } from './throttle.js';
export type { KeyCheckOptions } from './circuit-key-check.js';
export { pacingLayer, headerObservationLayer } from './pacing-layer.js';
export { timeoutLayer } from './timeout-layer.js';
export type { TimedCall } from './timeout-layer.js';
export { formatDuration } from './format.js';
export { SpendBudgets, MemorySpendStore, budgetWindow, reserveIn, settleIn, toNanoUsd, NANO_PER_USD, BUDGET_PERIODS } from './spend-budget.js';
export type { BudgetLimit, BudgetPeriod, BudgetReading, BudgetTotals, SpendReservation, SpendStore } from './spend-budget.js';
export { RedisSpendStore, RESERVE_SCRIPT, SETTLE_SCRIPT } from './redis-spend-store.js';
