// Together's x-ratelimit-* / x-tokenlimit-* headers, read (by policy's parser) and put into words.
import { formatDuration, parseRateLimitHeaders, readHeader, type HeaderSource, type RateLimitSnapshot } from '../policy/index.js';

const RATE_HEADER = /^(x-ratelimit-|x-tokenlimit-|retry-after)/i;

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function rate(value: number): string {
  return Number.isInteger(value) ? count(value) : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export interface RateLimitReading {
  snapshot: RateLimitSnapshot;
  /** e.g. "10 requests/s (600/min), 9 left, resets in 1 s; 200,000 tokens/min, 199,988 left". */
  words: string | undefined;
  /** The rate-limit headers as received, for the details. */
  raw: Record<string, string>;
  /** Whether the `-dynamic` variants were present (Together's newer, usage-based limits). */
  dynamic: boolean;
  /** A budget already at zero. */
  exhausted: boolean;
}

/** The rate-limit headers of one response, in words. `words` is undefined when there are none. */
export function readRateLimits(headers: HeaderSource & Readonly<Record<string, string>>, now: number = Date.now()): RateLimitReading {
  const snapshot = parseRateLimitHeaders(headers, undefined, now);
  const raw: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    if (RATE_HEADER.test(name)) raw[name.toLowerCase()] = headers[name] ?? '';
  }
  const dynamic = Object.keys(raw).some((name) => name.endsWith('-dynamic'));
  const parts: string[] = [];
  const requests: string[] = [];
  if (snapshot.requestsPerSecond !== undefined) {
    requests.push(`${rate(snapshot.requestsPerSecond)} requests/s (${rate(snapshot.requestsPerSecond * 60)}/min)`);
  }
  if (snapshot.requestsRemaining !== undefined) requests.push(`${count(snapshot.requestsRemaining)} left`);
  if (snapshot.resetMs !== undefined) requests.push(`resets in ${formatDuration(snapshot.resetMs)}`);
  if (requests.length > 0) parts.push(requests.join(', '));
  const tokens: string[] = [];
  if (snapshot.tokensPerMinute !== undefined) tokens.push(`${count(snapshot.tokensPerMinute)} tokens/min`);
  if (snapshot.tokensRemaining !== undefined) tokens.push(`${count(snapshot.tokensRemaining)} ${snapshot.tokensPerMinute === undefined ? 'tokens ' : ''}left`);
  if (tokens.length > 0) parts.push(tokens.join(', '));
  const retryAfter = readHeader(headers, 'retry-after');
  if (retryAfter !== undefined) parts.push(`retry-after ${retryAfter}`);
  const words = parts.length > 0 ? `${parts.join('; ')}${dynamic ? ' (dynamic limits)' : ''}` : undefined;
  const exhausted = snapshot.requestsRemaining === 0 || snapshot.tokensRemaining === 0;
  return { snapshot, words, raw, dynamic, exhausted };
}
