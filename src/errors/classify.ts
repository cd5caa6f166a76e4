// An HTTP error response (status, headers, body) → a TogetherError, by looking it up in the decision table.
import { MAX_UPSTREAM_BODY_CHARS, TogetherError } from './together-error.js';
import { parseErrorBody } from './body.js';
import type { ParsedBody } from './body.js';
import { extractRequestId, getHeader, listHeaders, parseRetryAfterMs } from './headers.js';
import type { HeadersLike } from './headers.js';
import { scrubberFor, secretsFromHeaders } from './redact.js';
import type { Scrubber } from './redact.js';
import { CATEGORY_DEFAULTS, FALLBACK_HTTP_RULE, HTTP_RULES, TOGETHER_CODES, renderSentence, ruleMatches } from './table.js';
import type { HttpRule, KeySource, RuleFacts } from './table.js';

export interface ClassifyInput {
  status: number;
  headers?: HeadersLike | null | undefined;
  /** A string, bytes, an already-parsed object, or nothing. */
  body?: unknown;
  /** The model the request named, when the caller knows it. */
  model?: string | undefined;
  /** Where the API key came from, so a 401 names the right place to fix. */
  keySource?: KeySource | undefined;
  /** Clock for `retry-after` dates; defaults to Date.now(). */
  nowMs?: number | undefined;
  /** Values never to repeat in any form (the key the request was sent with, and any other configured key). */
  secrets?: readonly string[] | undefined;
}

/** The most of a body that is read at all; the rest of a larger error body is never shown. */
const MAX_BODY_CHARS = 1_000_000;

/**
 * The body with every form of every known secret removed before it is parsed and quoted: quoting cuts text short,
 * and a secret cut in half is no longer found by the scrubber but still half a secret.
 */
function scrubbedBody(body: unknown, scrubber: Scrubber): unknown {
  if (scrubber.secrets.length === 0) return body;
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = new TextDecoder('utf-8', { fatal: false }).decode(body.byteLength > MAX_BODY_CHARS ? body.subarray(0, MAX_BODY_CHARS) : body);
  else if (body instanceof ArrayBuffer) return scrubbedBody(new Uint8Array(body), scrubber);
  else if (typeof body === 'object' && body !== null) {
    try {
      text = JSON.stringify(body);
    } catch {
      return body;
    }
  } else return body;
  return scrubber.exact(text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text);
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  520: 'Unknown Error',
  521: 'Web Server Is Down',
  522: 'Connection Timed Out',
  524: 'A Timeout Occurred',
  529: 'Site Overloaded',
};

function statusLine(status: number): string {
  const text = STATUS_TEXT[status];
  return text === undefined ? `HTTP ${status}` : `HTTP ${status} ${text}`;
}

/** Together's code: `error.code`, or with code null, an `error.type` that names one of Together's codes. */
function effectiveCode(body: ParsedBody): string | undefined {
  if (body.code !== undefined) return body.code;
  if (body.type !== undefined && TOGETHER_CODES.includes(body.type)) return body.type;
  return undefined;
}

/** The message a person reads: Together's own words where there are some, else what the body was. */
function messageFor(status: number, body: ParsedBody, code: string | undefined): string {
  switch (body.shape) {
    case 'html':
      return `${statusLine(status)}: an HTML page${body.message === undefined ? '' : ` titled "${body.message}"`} came back instead of Together's JSON, so a proxy, CDN or gateway answered`;
    case 'empty':
      return `${statusLine(status)} with an empty body`;
    default:
      if (body.message !== undefined) return body.message;
      return code === undefined ? statusLine(status) : `${statusLine(status)}: ${code}`;
  }
}

const MODEL_IN_MESSAGE: readonly RegExp[] = [
  /unable to access (?:non-serverless )?model (\S+)/i,
  /dedicated endpoint for (\S+) is not running/i,
  /rate limited for model (\S+)/i,
  /\bmodel [`'"]?([\w.-]+\/[\w.:-]+)[`'"]? (?:is |was )?(?:not found|does not exist|not available)/i,
];

/** The model id the message names (Together's messages often do), minus trailing punctuation. */
export function modelFromMessage(message: string): string | undefined {
  for (const pattern of MODEL_IN_MESSAGE) {
    const raw = pattern.exec(message)?.[1]?.replace(/[.,;:'"`)]+$/, '');
    if (raw && raw !== '<m>') return raw;
  }
  return undefined;
}

function findRule(status: number, code: string | undefined, message: string, body: ParsedBody): HttpRule {
  const facts = { status, code, message, shape: body.shape };
  return HTTP_RULES.find((rule) => ruleMatches(rule, facts)) ?? FALLBACK_HTTP_RULE;
}

/**
 * Classifies a failed HTTP response from Together (or from anything in between) into a TogetherError with a
 * category, a cause and a fix for a person, whether a retry can help, and how long the server asked to wait.
 * Pure and total: any input gives an error object, never an exception. Secrets in the body or headers are redacted.
 */
export function classify(input: ClassifyInput): TogetherError {
  const status = Number.isFinite(input.status) ? Math.trunc(input.status) : 0;
  const secrets = [...secretsFromHeaders(listHeaders(input.headers)), ...(input.secrets ?? [])].filter((s) => typeof s === 'string');
  const scrubber = scrubberFor(secrets);
  const scrub = (text: string): string => scrubber.text(text);

  const cleaned = scrubbedBody(input.body, scrubber);
  const body = parseErrorBody(cleaned, getHeader(input.headers, 'content-type'));
  const code = effectiveCode(body);
  const innerMessage = scrub(body.message ?? '');
  const rule = findRule(status, code, innerMessage, body);
  const defaults = CATEGORY_DEFAULTS[rule.category];

  const message = scrub(messageFor(status, body, code));
  const model = input.model ?? modelFromMessage(innerMessage);
  // x-ratelimit-reset rides on every answer; only a 429 makes it a wait.
  const retryAfterMs = parseRetryAfterMs(input.headers, input.nowMs ?? Date.now(), { rateLimitReset: status === 429 });
  const requestId = extractRequestId(input.headers) ?? body.id;
  const details = rule.details?.(innerMessage);
  const hasDetails = details !== undefined && Object.keys(details).length > 0;

  const facts: RuleFacts = {
    status,
    code,
    param: body.param,
    message,
    model,
    keySource: input.keySource,
    retryAfterMs,
    details: hasDetails ? details : undefined,
  };

  return new TogetherError({
    status,
    code: code === undefined ? undefined : scrub(code),
    type: body.type === undefined ? undefined : scrub(body.type),
    param: body.param === undefined ? undefined : scrub(body.param),
    category: rule.category,
    message,
    cause: scrub(renderSentence(rule.cause ?? defaults.cause, facts)),
    fix: scrub(renderSentence(rule.fix ?? defaults.fix, facts)),
    retryable: rule.retryable ?? defaults.retryable,
    retryAfterMs,
    requestId: requestId === undefined ? undefined : scrub(requestId),
    model: model === undefined ? undefined : scrub(model),
    details: facts.details,
    upstreamBody: verbatimText(cleaned),
  });
}

/** The (scrubbed) body as text when it came as text or bytes of a size worth keeping verbatim. */
function verbatimText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.length <= MAX_UPSTREAM_BODY_CHARS && body.length > 0 ? body : undefined;
  if (body instanceof Uint8Array && body.byteLength > 0 && body.byteLength <= MAX_UPSTREAM_BODY_CHARS) return new TextDecoder('utf-8', { fatal: false }).decode(body);
  return undefined;
}
