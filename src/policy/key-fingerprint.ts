import { createHash } from 'node:crypto';

/** Fingerprints already computed: a process sends with a handful of keys, and hashing one per request showed up. */
const cache = new Map<string, string>();
/** Past this many distinct keys the cache starts over, so a stream of one-off keys cannot grow it without bound. */
const CACHE_LIMIT = 1024;

/**
 * A stable, non-reversible name for an API key: what events, logs and store keys carry instead of the secret.
 * Two processes derive the same fingerprint from the same key, which is what lets them share a Redis budget.
 */
export function keyFingerprint(apiKey: string): string {
  let fingerprint = cache.get(apiKey);
  if (fingerprint === undefined) {
    fingerprint = `key_${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(apiKey, fingerprint);
  }
  return fingerprint;
}
