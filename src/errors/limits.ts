// The errors of tether's own bounds on what an upstream can send: an answer too large, a streamed event too
// large, a wait too long, a token budget too small for the request. Each names the limit and the setting to change.
import { formatDuration } from './table.js';
import { TogetherError } from './together-error.js';

/** `67108864` → `64 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Which setting a limit is changed by, as the library option and the gateway config key. */
const SETTINGS = {
  maxResponseBytes: 'maxResponseBytes (gateway: upstream.maxResponseBytes)',
  maxStreamEventBytes: 'maxStreamEventBytes (gateway: upstream.maxStreamEventBytes)',
} as const;

/** An answer body longer than the limit: reading stopped there and the connection was closed. */
export function responseTooLargeError(limit: number, model?: string): TogetherError {
  return new TogetherError({
    category: 'server',
    code: 'response_too_large',
    message: `The upstream answer is larger than ${formatBytes(limit)} (${SETTINGS.maxResponseBytes}); it was not read further and its connection was closed.`,
    cause: 'No real completion is this large: the base URL points at something that is not Together, or the upstream misbehaved.',
    fix: `Check TOGETHER_BASE_URL (or upstream.baseUrl); if answers this large are expected, raise ${SETTINGS.maxResponseBytes}.`,
    retryable: false,
    model,
  });
}

/** One server-sent event longer than the limit without ending: the stream was stopped. */
export function streamEventTooLargeError(limit: number, chunksReceived: number, model?: string): TogetherError {
  return new TogetherError({
    category: 'server',
    code: 'stream_event_too_large',
    message: `A streamed event grew past ${formatBytes(limit)} (${SETTINGS.maxStreamEventBytes}) without ending, after ${chunksReceived} chunk(s); the stream was stopped.`,
    cause: 'Streamed chunks are a few hundred bytes: an event this long means the upstream is not sending server-sent events as Together does.',
    fix: `Check TOGETHER_BASE_URL (or upstream.baseUrl); if events this large are expected, raise ${SETTINGS.maxStreamEventBytes}.`,
    retryable: false,
    model,
    details: { chunksReceived },
  });
}

/**
 * The rate-limit state the upstream reported makes this key wait longer than the pipeline waits inside one call
 * (its retry-after cap): failed at once instead of holding the request (and its caller) that long.
 */
export function waitAboveCapError(waitMs: number, capMs: number, why: string): TogetherError {
  return new TogetherError({
    category: 'rate_limit',
    code: 'rate_limit_wait_above_cap',
    message: `Together asked to wait ${formatDuration(waitMs)} (${why}), above the ${formatDuration(capMs)} cap (maxRetryAfterMs); not sent.`,
    cause: 'The API asked for a longer pause than this client is configured to wait inside one call.',
    fix: `Try again in ${formatDuration(waitMs)} or send fewer requests; raise maxRetryAfterMs if a wait that long is acceptable.`,
    retryable: false,
    retryAfterMs: waitMs,
  });
}

/** A request that needs more tokens than the key's whole per-minute budget: no wait would ever let it through. */
export function tokenBudgetTooSmallError(tokens: number, tokensPerMinute: number): TogetherError {
  return new TogetherError({
    category: 'rate_limit',
    code: 'token_budget_too_small',
    message: `The request needs about ${Math.ceil(tokens)} tokens, more than the key's whole budget of ${Math.floor(tokensPerMinute)} tokens per minute; it can never be sent.`,
    cause: 'The tokens/min limit (configured, or reported by the x-tokenlimit-limit header) is smaller than this one request, so waiting would never make room for it.',
    fix: 'Send a shorter prompt or a lower max_tokens, raise pacing.tokensPerMinute, or check what the upstream reports in x-tokenlimit-limit.',
    retryable: false,
    details: { tokens: Math.ceil(tokens), tokensPerMinute: Math.floor(tokensPerMinute) },
  });
}
