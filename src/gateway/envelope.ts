// Errors as the gateway's clients see them: Together's envelope `{"id", "error":{message,type,param,code}}`, the
// status, and headers saying what tether made of the failure. An error Together answered goes out with Together's
// own body, byte for byte (a 402's `code: null` stays null); tether's view of it rides in `x-tether-*` headers only.
// Pure functions: the server writes the result.
import { withFrontDoorFix } from '../errors/index.js';
import type { ErrorCategory, TogetherError } from '../errors/index.js';

export interface ErrorEnvelope {
  /** Together's top-level request id; the gateway's own errors carry its x-request-id here (set when sent). */
  id?: string;
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Everything needed to answer one failed request. */
export interface ErrorReply {
  status: number;
  body: ErrorEnvelope;
  /**
   * Upstream's own error body, sent instead of `body` when it is Together's JSON error (scrubbed of every key):
   * the fields stay as Together wrote them. `body` still says the same thing for the gateway's logs and tests.
   */
  verbatim?: string;
  /** Extra response headers (lower-case names), all ASCII-safe. */
  headers: Record<string, string>;
  category: ErrorCategory;
}

/** The status a category is answered with when the error carries none (it never reached or heard from Together). */
const STATUS_BY_CATEGORY: Record<ErrorCategory, number> = {
  auth: 401,
  billing: 402,
  rate_limit: 429,
  validation: 400,
  context_length: 400,
  not_found: 404,
  overloaded: 503,
  server: 502,
  timeout: 504,
  network: 502,
};

/**
 * Statuses for errors the pipeline raised before anything reached Together (so with no status of their own): the
 * status Together itself answers the same mistake with, so clients branch on it as they would on Together's.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_request_body: 400,
  invalid_overrides: 400,
  context_length_exceeded: 400,
  model_not_found: 404,
  model_not_available: 400,
  tier_too_low: 403,
  circuit_open: 503,
  pipeline_closed: 503,
};

/** OpenAI's `error.type` per category, for errors whose body had none. */
const TYPE_BY_CATEGORY: Record<ErrorCategory, string> = {
  auth: 'authentication_error',
  billing: 'insufficient_quota',
  rate_limit: 'rate_limit_error',
  validation: 'invalid_request_error',
  context_length: 'invalid_request_error',
  not_found: 'invalid_request_error',
  overloaded: 'server_error',
  server: 'server_error',
  timeout: 'timeout_error',
  network: 'api_connection_error',
};

const TYPOGRAPHY: Record<string, string> = {
  '\u2014': '-',
  '\u2013': '-',
  '\u2018': "'",
  '\u2019': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u2026': '...',
  '\u2192': '->',
  '\u00d7': 'x',
};

/**
 * A header value any HTTP stack accepts: printable ASCII only (typographic punctuation spelled out, anything else
 * dropped), one line, bounded length.
 */
export function asciiHeader(text: string, max = 512): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) out += char;
    else if (char === '\n' || char === '\r' || char === '\t') out += ' ';
    else out += TYPOGRAPHY[char] ?? '';
    if (out.length >= max) break;
  }
  return out.slice(0, max).trim();
}

/** Longest piece of client-sent text (a path, a parser's message) an answer or a log line repeats. */
export const MAX_ECHOED_CHARS = 200;

/** Client-sent text as the gateway repeats it: at most MAX_ECHOED_CHARS, with how much was left out. */
export function clip(text: string, max = MAX_ECHOED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** `retry-after` in whole seconds, rounded up (HTTP has no fractions here); at least 1. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** The reply for a TogetherError from the pipeline: its own status, else 502/504 (or the category's usual one). */
export function togetherErrorReply(error: TogetherError): ErrorReply {
  const status =
    error.status !== undefined && error.status >= 400 && error.status <= 599
      ? error.status
      : ((error.code !== undefined ? STATUS_BY_CODE[error.code] : undefined) ?? STATUS_BY_CATEGORY[error.category]);
  const headers: Record<string, string> = { 'x-tether-category': error.category };
  // A 402's fix says how a gateway resumes (a config reload), not how the library or `tether run` would.
  const fix = asciiHeader(withFrontDoorFix(error, 'gateway').fix);
  if (fix) headers['x-tether-fix'] = fix;
  if (error.retryAfterMs !== undefined && error.retryAfterMs >= 0) headers['retry-after'] = retryAfterSeconds(error.retryAfterMs);
  if (error.requestId) headers['x-together-request-id'] = asciiHeader(error.requestId, 200);
  const verbatim = upstreamEnvelope(error, status);
  return {
    status,
    category: error.category,
    headers,
    ...(verbatim !== undefined ? { verbatim } : {}),
    body: {
      error: {
        message: error.message,
        type: error.type ?? TYPE_BY_CATEGORY[error.category],
        param: error.param ?? null,
        code: error.code ?? null,
      },
    },
  };
}

/**
 * Together's own error body, when the error is the answer Together gave with this same status and the body is its
 * JSON envelope (an object with `error` or `message`): forwarded unchanged. Anything else (an HTML page from a proxy,
 * an error tether raised itself) is answered with tether's envelope.
 */
function upstreamEnvelope(error: TogetherError, status: number): string | undefined {
  const text = error.upstreamBody;
  if (text === undefined || error.status !== status) return undefined;
  const start = text.trimStart();
  if (!start.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(start);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return 'error' in parsed || 'message' in parsed ? text : undefined;
  } catch {
    return undefined;
  }
}

export interface GatewayErrorFields {
  status: number;
  category: ErrorCategory;
  message: string;
  code: string;
  fix: string;
  param?: string | undefined;
  retryAfterMs?: number | undefined;
  extraHeaders?: Record<string, string> | undefined;
}

/** A failure decided by the gateway itself (auth, limits, routing, malformed input), in the same envelope. */
export function gatewayErrorReply(fields: GatewayErrorFields): ErrorReply {
  const headers: Record<string, string> = { 'x-tether-category': fields.category, 'x-tether-fix': asciiHeader(fields.fix), ...fields.extraHeaders };
  if (fields.retryAfterMs !== undefined) headers['retry-after'] = retryAfterSeconds(fields.retryAfterMs);
  return {
    status: fields.status,
    category: fields.category,
    headers,
    body: { error: { message: fields.message, type: TYPE_BY_CATEGORY[fields.category], param: fields.param ?? null, code: fields.code } },
  };
}

// The gateway's own failures, one function each so every message says what was wrong and what to do.

export function unauthorized(hasHeader: boolean): ErrorReply {
  return gatewayErrorReply({
    status: 401,
    category: 'auth',
    code: 'invalid_client_token',
    message: hasHeader ? 'The gateway does not know this client token.' : 'This gateway needs a client token: send `Authorization: Bearer <token>`.',
    fix: 'Use a token listed under `clients` in the gateway config (a gateway token, not a Together API key).',
    extraHeaders: { 'www-authenticate': 'Bearer' },
  });
}

export function clientRateLimited(client: string, retryAfterMs: number, limit: string): ErrorReply {
  return gatewayErrorReply({
    status: 429,
    category: 'rate_limit',
    code: 'client_rate_limited',
    message: `Client "${client}" is over its gateway limit of ${limit}.`,
    fix: `Wait ${retryAfterSeconds(retryAfterMs)} s (retry-after) or raise this client's limit in the gateway config.`,
    retryAfterMs,
  });
}

export function bodyTooLarge(limitBytes: number): ErrorReply {
  return gatewayErrorReply({
    status: 413,
    category: 'validation',
    code: 'request_too_large',
    message: `The request body is larger than the gateway's limit of ${limitBytes} bytes.`,
    fix: 'Send a smaller request, or raise `limits.maxBodyBytes` in the gateway config.',
  });
}

export function malformedJson(detail: string): ErrorReply {
  return gatewayErrorReply({
    status: 400,
    category: 'validation',
    code: 'invalid_json',
    message: `The request body is not valid JSON: ${clip(detail)}`,
    fix: 'Send a JSON object body with `Content-Type: application/json`.',
  });
}

export function malformedForm(detail: string): ErrorReply {
  return gatewayErrorReply({
    status: 400,
    category: 'validation',
    code: 'invalid_request_body',
    message: `The multipart/form-data body could not be read: ${clip(detail)}`,
    fix: 'Send the audio as multipart/form-data with a `file` part and optional `model`, `language` and `response_format` fields (the SDKs do this for you).',
  });
}

export function bodyTooDeep(maxDepth: number): ErrorReply {
  return gatewayErrorReply({
    status: 400,
    category: 'validation',
    code: 'invalid_request_body',
    message: `The request body nests arrays and objects deeper than ${maxDepth} levels (the maximum nesting depth).`,
    fix: `Send a body whose arrays and objects nest at most ${maxDepth} levels deep.`,
  });
}

export function modelIdTooLong(length: number, maxLength: number): ErrorReply {
  return gatewayErrorReply({
    status: 400,
    category: 'validation',
    code: 'invalid_request_body',
    param: 'model',
    message: `The model id is ${length} characters long; model ids are at most ${maxLength} characters.`,
    fix: 'Send a model id exactly as `tether models` (or GET /v1/models) lists it.',
  });
}

export function notJsonObject(): ErrorReply {
  return gatewayErrorReply({
    status: 400,
    category: 'validation',
    code: 'invalid_request_body',
    message: 'The request body must be a JSON object.',
    fix: 'Send an object such as {"model": "...", "messages": [...]}.',
  });
}

export function unknownPath(method: string, path: string): ErrorReply {
  return gatewayErrorReply({
    status: 404,
    category: 'not_found',
    code: 'unknown_url',
    message: `Unknown request URL: ${method} ${clip(path)}.`,
    fix: 'The gateway serves /v1/* (inference through its pipeline, every other /v1 path passed on to Together), /healthz, /metrics and /ui; point the SDK base URL at <gateway>/v1.',
  });
}

export function methodNotAllowed(method: string, path: string, allowed: string): ErrorReply {
  return gatewayErrorReply({
    status: 405,
    category: 'validation',
    code: 'method_not_allowed',
    message: `${method} is not allowed on ${clip(path)}; use ${allowed}.`,
    fix: `Send ${allowed} ${clip(path)}.`,
    extraHeaders: { allow: allowed },
  });
}

export function firstByteTimeout(limitMs: number): ErrorReply {
  return gatewayErrorReply({
    status: 504,
    category: 'timeout',
    code: 'first_byte_timeout',
    message: `No answer started within the gateway's first-byte timeout of ${limitMs / 1000} s (retries included); the upstream request was cancelled.`,
    fix: 'Retry later; for long generations send `stream: true` (a stream starts at once), or raise `policies.timeouts.firstByteTimeoutMs` in the gateway config.',
  });
}

const OVERLOAD_WHY: Record<string, string> = {
  event_loop_delay: 'its event loop is running late',
  heap: 'its memory is nearly full',
  in_flight: 'it is handling as many requests as it allows at once',
};

export function gatewayOverloaded(reason: string, retryAfterMs: number): ErrorReply {
  return gatewayErrorReply({
    status: 503,
    category: 'overloaded',
    code: 'gateway_overloaded',
    message: `The gateway is overloaded (${OVERLOAD_WHY[reason] ?? reason}), so this request was not started.`,
    fix: 'Retry after the retry-after delay, or against another instance. Operators: /healthz says which threshold was passed (`overload` in the gateway config).',
    retryAfterMs,
  });
}

export function internalError(): ErrorReply {
  return gatewayErrorReply({
    status: 500,
    category: 'server',
    code: 'gateway_error',
    message: 'The gateway failed to handle this request.',
    fix: 'Retry; if it persists, send the gateway log line with this x-request-id to its operator.',
  });
}

export function shuttingDown(): ErrorReply {
  return gatewayErrorReply({
    status: 503,
    category: 'overloaded',
    code: 'gateway_closing',
    message: 'The gateway is shutting down.',
    fix: 'Retry against another instance or once it is back.',
  });
}
