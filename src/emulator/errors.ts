// Together's error envelope and the exact server strings from together-api-facts.md §3.3. Each builder returns
// the status and the inner error; the HTTP layer adds the top-level `id` (the request id).

export interface ErrorInner {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface EmulatorError {
  status: number;
  error: ErrorInner;
  /** Extra response headers (retry-after on 429s, Allow on 405s). */
  headers?: Record<string, string>;
  /** Sent as the whole body instead of the envelope (a fault's custom body). */
  rawBody?: Record<string, unknown>;
}

function inner(message: string, type: string, code: string | null = null, param: string | null = null): ErrorInner {
  return { message, type, param, code };
}

/** Longest client-sent text (a model id, a path) quoted back in an error; the catalog's longest id is 49. */
export const MAX_ECHOED_CHARS = 200;

/** Client-sent text as quoted in a message or a log line: cut at MAX_ECHOED_CHARS, saying how long it was. */
export function echoed(text: string): string {
  return text.length > MAX_ECHOED_CHARS ? `${text.slice(0, MAX_ECHOED_CHARS)}… (${text.length} characters)` : text;
}

/** The `{"id", "error": {...}}` body Together sends for inference, files and models. */
export function errorEnvelope(id: string, error: ErrorInner): { id: string; error: ErrorInner } {
  return { id, error };
}

export function invalidApiKey(): EmulatorError {
  return {
    status: 401,
    error: inner(
      'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.',
      'invalid_request_error',
      'invalid_api_key',
    ),
  };
}

export function modelNotFound(model: string): EmulatorError {
  return {
    status: 404,
    error: inner(
      `Unable to access model ${echoed(model)}. Please visit https://api.together.xyz to see the list of supported models or contact the owner to request access.`,
      'invalid_request_error',
      'model_not_found',
    ),
  };
}

export function modelNotAvailable(model: string): EmulatorError {
  return {
    status: 400,
    error: inner(
      `Unable to access non-serverless model ${model}. Please visit https://api.together.ai/models/${model} to create and start a new dedicated endpoint for the model.`,
      'invalid_request_error',
      'model_not_available',
    ),
  };
}

/** Tier gate: the first sentence is a real quote (GH Nutlope/logocreator#10); the rest, UNCONFIRMED.tierGate. */
export function tierTooLow(minTier: number): EmulatorError {
  return {
    status: 403,
    error: inner(
      `Access to this model is allowed for build tier ${minTier} and above. Please visit https://api.together.xyz/settings/billing to upgrade your tier.`,
      'invalid_request_error',
    ),
  };
}

export function contextLengthExceeded(limit: number, inputTokens: number, maxNewTokens: number): EmulatorError {
  return {
    status: 400,
    error: inner(
      `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${limit}. Given: ${inputTokens} \`inputs\` tokens and ${maxNewTokens} \`max_new_tokens\``,
      'invalid_request_error',
    ),
  };
}

export function creditLimit(): EmulatorError {
  return {
    status: 402,
    error: inner(
      'Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or upgrade your plan.',
      'credit_limit',
    ),
  };
}

/**
 * What the emulator's error texts still guess, in one place (the builders below say which parts are real quotes;
 * together-api-facts.md §3.3, §10, §11 are the sources). docs/emulator-fidelity.md lists the same.
 */
export const UNCONFIRMED = {
  dynamicRateLimit:
    'The message of a 429 under dynamic limits is unknown; whether dynamic_request_limited / dynamic_token_limited sits in error.type or error.code is unknown (both carry it); whether it has retry-after is unknown (ours does).',
  fixedTierRateLimit:
    'Real: "You have been rate limited. Your rate limit is 60 queries per minute. Please navigate to https://api.together.xyz/settings/billing to upgrade to a paid plan." (free tier, type credit_limit) and the fragment "Your rate limits are 600 RPM (10 QPS) and 180000 TPM (3000 TPS)" (paid tier); the paid tier\'s full sentence around it is ours.',
  modelRateLimit:
    'Real: "You have been rate limited for model <m>. Your rate limit is 5 queries per minute." (type model_rate_limit); what follows it is unknown and left out. The per-model limit of -Free models (6 a minute here) is unknown.',
  dynamicPerModel:
    'Real: the per-model dynamic rate (about twice the recent successful rate, between base_rate and a cap) and the 503-at-or-below / 429-above split (facts §4.2, §11). Ours: the message text; the units of the -dynamic headers (requests per second and tokens per minute, as the fixed headers beside them); a burst of one second of requests; the rate measured over buckets of 1/60 of the history.',
  platformCapacity:
    'A model\'s platform capacity answers 503 with the same body as an injected 503 (UNCONFIRMED.overloaded); whether Together adds retry-after to it is unknown (ours does not).',
  overloaded: 'No real 503 body is known; ours is {"message": "The server is overloaded or not ready yet.", "type": "server_error"}. Nor 500, 502 or 504 bodies.',
  tierGate: 'Real: the first sentence only. The status (403), the envelope, the second sentence and the null code are guesses.',
  midStreamError: 'How Together reports a failure inside a 200 stream (an error event or a cut) is unknown; the emulator cuts the connection.',
} as const;

/** 429 under dynamic limits (Together's current model). UNCONFIRMED.dynamicRateLimit. */
export function requestRateLimited(limitPerSecond: number, retryAfterSeconds: number): EmulatorError {
  return {
    status: 429,
    error: inner(
      `You have been rate limited. Your rate limit is ${limitPerSecond} requests per second. Please retry after ${retryAfterSeconds} seconds or navigate to https://api.together.xyz/settings/billing to upgrade your plan.`,
      'dynamic_request_limited',
      'dynamic_request_limited',
    ),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/** 429 above a key's dynamic request rate on one model. UNCONFIRMED.dynamicRateLimit, dynamicPerModel. */
export function dynamicRequestLimited(model: string, limitRpm: number, baseRpm: number, retryAfterSeconds: number): EmulatorError {
  return {
    status: 429,
    error: inner(
      `You have been rate limited for model ${echoed(model)}. Your dynamic rate limit is ${Math.round(limitRpm)} requests per minute (about twice your recent successful rate, at least ${Math.round(baseRpm)}). Please retry after ${retryAfterSeconds} seconds and ramp up gradually.`,
      'dynamic_request_limited',
      'dynamic_request_limited',
    ),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/** 429 above a key's dynamic token rate on one model. UNCONFIRMED.dynamicRateLimit, dynamicPerModel. */
export function dynamicTokenLimited(model: string, limitTpm: number, retryAfterSeconds: number): EmulatorError {
  return {
    status: 429,
    error: inner(
      `You have been rate limited for model ${echoed(model)}. Your dynamic token rate limit is ${Math.round(limitTpm)} tokens per minute (about twice your recent successful usage). Please retry after ${retryAfterSeconds} seconds and ramp up gradually.`,
      'dynamic_token_limited',
      'dynamic_token_limited',
    ),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/** 503 when a model's platform capacity is used up, whatever the key's own rate. UNCONFIRMED.platformCapacity. */
export function platformCapacityExceeded(): EmulatorError {
  return injectedStatus(503);
}

export function tokenRateLimited(limitPerMinute: number, retryAfterSeconds: number): EmulatorError {
  return {
    status: 429,
    error: inner(
      `You have been rate limited. Your token rate limit is ${limitPerMinute} tokens per minute. Please retry after ${retryAfterSeconds} seconds or navigate to https://api.together.xyz/settings/billing to upgrade your plan.`,
      'dynamic_token_limited',
      'dynamic_token_limited',
    ),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/**
 * 429 of a key on fixed (pre-2026 build tier) limits, typed `credit_limit` as Together types it although it is a
 * rate limit. The free tier's text is a real quote; the paid tiers' wraps a real fragment
 * (UNCONFIRMED.fixedTierRateLimit).
 */
export function fixedRateLimited(tier: number, requestsPerSecond: number, tokensPerMinute: number, retryAfterSeconds: number): EmulatorError {
  const rpm = requestsPerSecond * 60;
  const message =
    tier === 0
      ? `You have been rate limited. Your rate limit is ${rpm} queries per minute. Please navigate to https://api.together.xyz/settings/billing to upgrade to a paid plan.`
      : `You have been rate limited. Your rate limits are ${rpm} RPM (${requestsPerSecond} QPS) and ${tokensPerMinute} TPM (${Math.round(tokensPerMinute / 60)} TPS). Please navigate to https://api.together.xyz/settings/billing to upgrade your plan.`;
  return { status: 429, error: inner(message, 'credit_limit'), headers: { 'retry-after': String(retryAfterSeconds) } };
}

/** 429 of a model's own limit (the -Free models), a real quote up to where it was cut (UNCONFIRMED.modelRateLimit). */
export function modelRateLimited(model: string, perMinute: number, retryAfterSeconds: number): EmulatorError {
  return {
    status: 429,
    error: inner(`You have been rate limited for model ${echoed(model)}. Your rate limit is ${perMinute} queries per minute.`, 'model_rate_limit'),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/** A request body or parameter problem; the message names the field and the fix. */
export function invalidRequest(message: string, param: string | null = null): EmulatorError {
  return { status: 400, error: inner(message, 'invalid_request_error', null, param) };
}

export function bodyTooLarge(limitBytes: number): EmulatorError {
  return {
    status: 413,
    error: inner(
      `Request body is larger than ${limitBytes} bytes. Send a smaller request (split long inputs across several requests).`,
      'invalid_request_error',
      'request_too_large',
    ),
  };
}

export function bodyTooDeep(maxDepth: number): EmulatorError {
  return invalidRequest(
    `Request body nests arrays and objects deeper than ${maxDepth} levels (the maximum nesting depth). Send a flatter JSON body; real requests nest about 20 levels at most.`,
  );
}

/** A request whose headers or body did not arrive in time (node:http's headersTimeout / requestTimeout). */
export function requestTimeout(headersMs: number, requestMs: number): EmulatorError {
  return {
    status: 408,
    error: inner(
      `The request did not arrive in time (its headers within ${headersMs / 1000} s, all of it within ${requestMs / 1000} s). Send the headers and the body without pausing.`,
      'invalid_request_error',
      'request_timeout',
    ),
  };
}

/** A request the HTTP parser refused: malformed, or headers over node:http's limit. */
export function badHttpRequest(headersTooLarge: boolean): EmulatorError {
  return headersTooLarge
    ? { status: 431, error: inner('Request headers are too large (over 16 KiB in all). Send fewer or shorter headers.', 'invalid_request_error', 'headers_too_large') }
    : { status: 400, error: inner('Malformed HTTP request. Send a valid HTTP/1.1 request.', 'invalid_request_error', 'bad_request') };
}

export function unknownEndpoint(method: string, path: string): EmulatorError {
  return {
    status: 404,
    error: inner(
      `Unknown endpoint ${echoed(method)} ${echoed(path)}. Check the path against https://docs.together.ai/reference (the base URL ends in /v1).`,
      'invalid_request_error',
      'not_found',
    ),
  };
}

export function methodNotAllowed(method: string, path: string, allowed: readonly string[]): EmulatorError {
  return {
    status: 405,
    error: inner(
      `Method ${echoed(method)} is not allowed on ${echoed(path)}. Use ${allowed.join(' or ')}.`,
      'invalid_request_error',
      'method_not_allowed',
    ),
    headers: { allow: allowed.join(', ') },
  };
}

/** Default bodies for injected status faults. No real 500/503 body is known: UNCONFIRMED.overloaded. */
export function injectedStatus(status: number): EmulatorError {
  const texts: Record<number, [string, string]> = {
    500: ['Internal server error. Please try again later.', 'server_error'],
    502: ['Bad gateway. Please try again later.', 'server_error'],
    503: ['The server is overloaded or not ready yet.', 'server_error'],
    504: ['Request timed out. Please try again later.', 'server_error'],
    429: ['You have been rate limited. Please retry after 1 seconds.', 'dynamic_request_limited'],
    402: [creditLimit().error.message, 'credit_limit'],
    401: [invalidApiKey().error.message, 'invalid_request_error'],
  };
  const [message, type] = texts[status] ?? [`Request failed with status ${status}.`, status >= 500 ? 'server_error' : 'invalid_request_error'];
  const code = status === 429 ? 'dynamic_request_limited' : status === 401 ? 'invalid_api_key' : null;
  return { status, error: inner(message, type, code), ...(status === 429 ? { headers: { 'retry-after': '1' } } : {}) };
}

export function internalError(): EmulatorError {
  return { status: 500, error: inner('Internal server error. Please try again later.', 'server_error') };
}
