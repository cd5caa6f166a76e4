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

/** Which of an answer's limit headers a reading takes: all, the key's own (`fixed`), or a model's (`dynamic`). */
export type LimitHeaderSet = 'all' | 'fixed' | 'dynamic';

const LIMIT_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-tokenlimit-limit',
  'x-tokenlimit-remaining',
  'x-ratelimit-limit-dynamic',
  'x-ratelimit-remaining-dynamic',
  'x-tokenlimit-limit-dynamic',
  'x-tokenlimit-remaining-dynamic',
  'x-ratelimit-reset',
] as const;
const LIMIT_SLOT = new Map<string, number>(LIMIT_HEADERS.map((name, slot) => [name, slot]));
/** The shortest limit header name: anything shorter is skipped without a lookup. */
const SHORTEST_LIMIT_HEADER = Math.min(...LIMIT_HEADERS.map((name) => name.length));

/**
 * An answer's rate-limit headers, read in one pass over the headers and their numbers parsed once (LIMIT_HEADERS
 * order, the reset kept as text: it is read relative to the time of each use). Every pacer that learns from an
 * answer (the key's, the model's) takes this reading instead of the headers again.
 */
export interface RateLimitValues {
  readonly numbers: readonly (number | undefined)[];
  readonly reset: string | undefined;
}

const RESET_SLOT = LIMIT_HEADERS.length - 1;

function firstValue(value: string | readonly string[] | number | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : value[0];
}

export function readRateLimitValues(headers: HeaderSource): RateLimitValues {
  const texts: (string | undefined)[] = new Array<string | undefined>(LIMIT_HEADERS.length).fill(undefined);
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const source = headers as { get(name: string): string | null };
    for (let slot = 0; slot < LIMIT_HEADERS.length; slot++) texts[slot] = source.get(LIMIT_HEADERS[slot]!) ?? undefined;
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | number | undefined>>;
    for (const name in record) {
      if (name.length < SHORTEST_LIMIT_HEADER || (name.charCodeAt(0) | 0x20) !== 0x78) continue; // not x-…
      const exact = LIMIT_SLOT.get(name);
      // The lower-case name wins over another spelling of it (as readHeader reads it); else the first spelling met.
      if (exact !== undefined) texts[exact] = firstValue(record[name]) ?? texts[exact];
      else {
        const slot = LIMIT_SLOT.get(name.toLowerCase());
        if (slot !== undefined && texts[slot] === undefined) texts[slot] = firstValue(record[name]);
      }
    }
  }
  const reset = texts[RESET_SLOT];
  texts.length = RESET_SLOT;
  return { numbers: texts.map(nonNegative), reset };
}

function numberAt(values: RateLimitValues, slot: number, wanted: boolean): number | undefined {
  return wanted ? values.numbers[slot] : undefined;
}

/** The limit headers of an attempt's answer, read by the first of its layers that asks (kept on the call). */
export function rateLimitValuesOf(call: { rateLimitValues?: RateLimitValues | undefined }, headers: HeaderSource): RateLimitValues {
  return (call.rateLimitValues ??= readRateLimitValues(headers));
}

/** The snapshot of read values: `fixed` and `dynamic` take their own headers only (a model's carry no reset). */
export function rateLimitSnapshot(
  values: RateLimitValues,
  set: LimitHeaderSet = 'all',
  units: HeaderUnits = DEFAULT_HEADER_UNITS,
  now: number = Date.now(),
): RateLimitSnapshot {
  const fixed = set !== 'dynamic';
  const dynamic = set !== 'fixed';
  const snapshot: RateLimitSnapshot = {};
  const requests = minDefined(perSecond(numberAt(values, 0, fixed), units.requests), perSecond(numberAt(values, 4, dynamic), units.requests));
  const tokens = minDefined(perMinute(numberAt(values, 2, fixed), units.tokens), perMinute(numberAt(values, 6, dynamic), units.tokens));
  const requestsRemaining = minDefined(numberAt(values, 1, fixed), numberAt(values, 5, dynamic));
  const tokensRemaining = minDefined(numberAt(values, 3, fixed), numberAt(values, 7, dynamic));
  const resetMs = fixed ? parseResetMs(values.reset, now) : undefined;
  if (requests !== undefined) snapshot.requestsPerSecond = requests;
  if (tokens !== undefined) snapshot.tokensPerMinute = tokens;
  if (requestsRemaining !== undefined) snapshot.requestsRemaining = requestsRemaining;
  if (tokensRemaining !== undefined) snapshot.tokensRemaining = tokensRemaining;
  if (resetMs !== undefined) snapshot.resetMs = resetMs;
  return snapshot;
}

export function parseRateLimitHeaders(
  headers: HeaderSource,
  units: HeaderUnits = DEFAULT_HEADER_UNITS,
  now: number = Date.now(),
): RateLimitSnapshot {
  return rateLimitSnapshot(readRateLimitValues(headers), 'all', units, now);
}
