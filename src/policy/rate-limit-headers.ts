/**
 * Reads Together's rate-limit headers into numbers the pacer can use. Pure: headers in, figures out.
 *
 * Units are not settled by Together's docs (the older page says the values are per second; limits are quoted per
 * minute elsewhere), so they are options. The defaults read `x-ratelimit-limit` as requests per second and
 * `x-tokenlimit-limit` as tokens per minute, the units tether's budgets (and its emulator's limits) use.
 */

export type RateUnit = 'second' | 'minute';

export interface HeaderUnits {
  requests: RateUnit;
  tokens: RateUnit;
}

export const DEFAULT_HEADER_UNITS: HeaderUnits = { requests: 'second', tokens: 'minute' };

/** Response headers as a `Headers` object or a plain record (undici, node:http, a test). */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>;

export interface RateLimitSnapshot {
  /** The governing request limit (the smaller of the fixed and `-dynamic` ones), per second. */
  requestsPerSecond?: number;
  /** The governing token limit, per minute. */
  tokensPerMinute?: number;
  /** Requests left in the current window (the smaller of the fixed and dynamic counts). */
  requestsRemaining?: number;
  tokensRemaining?: number;
  /** `x-ratelimit-reset` as milliseconds from now. */
  resetMs?: number;
}

/** One header's value, case-insensitively; the first value of a repeated header. */
export function readHeader(headers: HeaderSource, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(lower) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | number | undefined>>;
  let value = record[lower];
  if (value === undefined) {
    // Most limit headers are absent from most answers: the scan compares lengths first and allocates nothing.
    for (const key in record) {
      if (key.length === lower.length && key.toLowerCase() === lower) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return value[0];
}

function headerNumber(headers: HeaderSource, name: string): number | undefined {
  return nonNegative(readHeader(headers, name));
}

function nonNegative(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  // 400 nines is a valid-looking number whose value is Infinity: no limit or wait can be built on it.
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The longest reset read from a header: Node's longest timer (2^31 − 1 ms, ~24.8 days). A reset further off is
 * read as this, so every wait built on it is finite and can be timed; the pacer refuses to wait anything near it.
 */
export const MAX_RESET_MS = 2 ** 31 - 1;

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `x-ratelimit-reset` as milliseconds from `now`: plain seconds ("1", "0.5"), a Go-style duration ("1m30s",
 * "250ms"), or, for values that can only be one, a Unix time in seconds.
 */
export function parseResetMs(text: string | undefined, now: number = Date.now()): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const seconds = nonNegative(trimmed);
  if (seconds !== undefined) {
    if (seconds > 1e9) return boundedMs(seconds * 1000 - now);
    return boundedMs(seconds * 1000);
  }
  // Bounded before the pattern: a megabyte of digits and units is not a reset anyone sends.
  if (trimmed.length > 64 || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000);
  }
  return boundedMs(total);
}

/** A wait in whole ms within [0, MAX_RESET_MS] (NaN reads as 0). */
function boundedMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(MAX_RESET_MS, Math.round(ms));
}

function perSecond(value: number | undefined, unit: RateUnit): number | undefined {
  if (value === undefined || value <= 0) return undefined;
  return unit === 'second' ? value : value / 60;
}

function perMinute(value: number | undefined, unit: RateUnit): number | undefined {
  if (value === undefined || value <= 0) return undefined;
  return unit === 'minute' ? value : value * 60;
}

export function parseRateLimitHeaders(
  headers: HeaderSource,
  units: HeaderUnits = DEFAULT_HEADER_UNITS,
  now: number = Date.now(),
): RateLimitSnapshot {
  const snapshot: RateLimitSnapshot = {};
  const requests = minDefined(
    perSecond(headerNumber(headers, 'x-ratelimit-limit'), units.requests),
    perSecond(headerNumber(headers, 'x-ratelimit-limit-dynamic'), units.requests),
  );
  const tokens = minDefined(
    perMinute(headerNumber(headers, 'x-tokenlimit-limit'), units.tokens),
    perMinute(headerNumber(headers, 'x-tokenlimit-limit-dynamic'), units.tokens),
  );
  const requestsRemaining = minDefined(headerNumber(headers, 'x-ratelimit-remaining'), headerNumber(headers, 'x-ratelimit-remaining-dynamic'));
  const tokensRemaining = minDefined(headerNumber(headers, 'x-tokenlimit-remaining'), headerNumber(headers, 'x-tokenlimit-remaining-dynamic'));
  const resetMs = parseResetMs(readHeader(headers, 'x-ratelimit-reset'), now);
  if (requests !== undefined) snapshot.requestsPerSecond = requests;
  if (tokens !== undefined) snapshot.tokensPerMinute = tokens;
  if (requestsRemaining !== undefined) snapshot.requestsRemaining = requestsRemaining;
  if (tokensRemaining !== undefined) snapshot.tokensRemaining = tokensRemaining;
  if (resetMs !== undefined) snapshot.resetMs = resetMs;
  return snapshot;
}

/** The `-dynamic` headers (per organisation and model), under the plain names: what a per-model pacer learns from. */
export function dynamicRateLimitView(headers: HeaderSource): Record<string, string> {
  const view: Record<string, string> = {};
  for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-tokenlimit-limit', 'x-tokenlimit-remaining']) {
    const value = readHeader(headers, `${name}-dynamic`);
    if (value !== undefined) view[name] = value;
  }
  // Only the dynamic limit's own reset would belong here; Together sends one reset for both.
  return view;
}

/** The headers without the `-dynamic` ones: the key's own limits, for a pacer per key (a model's limit is not the key's). */
export function fixedRateLimitView(headers: HeaderSource): HeaderSource {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const source = headers as { get(name: string): string | null };
    return { get: (name: string) => (name.toLowerCase().endsWith('-dynamic') ? null : source.get(name)) };
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | number | undefined>>;
  let dynamic = false;
  for (const name in record) if (name.toLowerCase().endsWith('-dynamic')) dynamic = true;
  if (!dynamic) return headers;
  const view: Record<string, string | readonly string[] | number | undefined> = {};
  for (const name in record) if (!name.toLowerCase().endsWith('-dynamic')) view[name] = record[name];
  return view;
}
