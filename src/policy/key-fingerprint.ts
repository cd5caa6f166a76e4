import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible name for an API key: what events, logs and store keys carry instead of the secret.
 * Two processes derive the same fingerprint from the same key, which is what lets them share a Redis budget.
 */
export function keyFingerprint(apiKey: string): string {
  return `key_${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}
