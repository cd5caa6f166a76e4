// Reading response headers the way every HTTP client in Node hands them over (fetch, undici, node:http).

/** fetch/undici `Headers`, node:http's `IncomingHttpHeaders` record, or `[name, value]` pairs (a Map, an array). */
export type HeadersLike =
  | Headers
  | Record<string, string | string[] | number | undefined>
  | Iterable<readonly [string, string]>;

interface HeadersGetter {
  get(name: string): string | null;
  append(name: string, value: string): void;
}

function isHeadersInstance(value: object): value is HeadersGetter {
  const candidate = value as Partial<HeadersGetter>;
  // A Map also has get(), but its keys are case-sensitive; only a real Headers has append() too.
  return typeof candidate.get === 'function' && typeof candidate.append === 'function';
}

function firstValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return firstValue(value[0]);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** One header's value, case-insensitively; the first one when the header repeats. Never throws. */
export function getHeader(headers: HeadersLike | null | undefined, name: string): string | undefined {
  if (headers === null || headers === undefined || typeof headers !== 'object') return undefined;
  const wanted = name.toLowerCase();
  try {
    if (isHeadersInstance(headers)) return headers.get(wanted) ?? undefined;
    if (Symbol.iterator in headers) {
      for (const pair of headers as Iterable<unknown>) {
        if (Array.isArray(pair) && typeof pair[0] === 'string' && pair[0].toLowerCase() === wanted) {
          return firstValue(pair[1]);
        }
      }
      return undefined;
    }
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() === wanted) return firstValue(value);
    }
  } catch {
    // A hostile or half-built headers object: treat the header as absent rather than fail the classification.
  }
  return undefined;
}

/** Every header as lowercase name → first value (used to find secrets to scrub). */
export function listHeaders(headers: HeadersLike | null | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (headers === null || headers === undefined || typeof headers !== 'object') return out;
  try {
    const entries: Iterable<unknown> = Symbol.iterator in headers ? (headers as Iterable<unknown>) : Object.entries(headers);
    for (const pair of entries) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string') continue;
      const value = firstValue(pair[1]);
      if (value !== undefined) out.push([pair[0].toLowerCase(), value]);
    }
  } catch {
    // see getHeader
  }
  return out;
}

const PLAIN_NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;

function nonNegativeNumber(value: string | undefined): number | undefined {
  if (value === undefined || !PLAIN_NUMBER.test(value)) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** A Go-style duration some proxies send in reset headers: `1s`, `250ms`, `1m30s`, `0.5s`. */
function parseDurationMs(value: string): number | undefined {
  const match = /^\s*(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?\s*$/.exec(value);
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms);
}

/** Past this, a "seconds" reset value is really a unix timestamp (1e9 s is September 2001). */
const UNIX_SECONDS_THRESHOLD = 1e9;
/** Past this, it is a unix timestamp in milliseconds. */
const UNIX_MS_THRESHOLD = 1e12;

function fromRetryAfterMs(value: string | undefined): number | undefined {
  return nonNegativeNumber(value);
}

function fromRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = nonNegativeNumber(value);
  if (seconds !== undefined) return seconds * 1000;
  // Only something that looks like an HTTP date: Date.parse accepts odd strings such as "1" or "soon 2".
  if (!/[a-z]{3}/i.test(value) || !/\d{4}/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function fromRateLimitReset(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const number = nonNegativeNumber(value);
  if (number === undefined) return parseDurationMs(value);
  if (number > UNIX_MS_THRESHOLD) return Math.max(0, number - nowMs);
  if (number > UNIX_SECONDS_THRESHOLD) return Math.max(0, number * 1000 - nowMs);
  return number * 1000;
}

/**
 * How long the server asked us to wait, in whole milliseconds (rounded up), or undefined when it did not say.
 * `retry-after-ms` first, then `retry-after` (seconds or an HTTP date), then Together's `x-ratelimit-reset`
 * (seconds, or a unix timestamp when it is that large). A garbage value falls through to the next header.
 * `rateLimitReset: false` skips `x-ratelimit-reset`: Together sends it on every answer, and it is a wait only on a
 * 429 (on a 503 it times the rate window, not the overload).
 */
export function parseRetryAfterMs(
  headers: HeadersLike | null | undefined,
  nowMs: number = Date.now(),
  options: { rateLimitReset?: boolean } = {},
): number | undefined {
  const ms =
    fromRetryAfterMs(getHeader(headers, 'retry-after-ms')) ??
    fromRetryAfter(getHeader(headers, 'retry-after'), nowMs) ??
    (options.rateLimitReset === false ? undefined : fromRateLimitReset(getHeader(headers, 'x-ratelimit-reset'), nowMs));
  // A value too large to be a number (a header of 400 nines) is no wait at all.
  return ms === undefined || !Number.isFinite(ms) ? undefined : Math.ceil(ms);
}

const REQUEST_ID_HEADERS = ['x-request-id', 'x-together-traceid', 'cf-ray'] as const;

/** The id to quote to Together support: `x-request-id`, then `x-together-traceid`, then `cf-ray`. */
export function extractRequestId(headers: HeadersLike | null | undefined): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = getHeader(headers, name)?.trim();
    if (value) return value;
  }
  return undefined;
}
