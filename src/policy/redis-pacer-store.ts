/**
 * The pacer store shared through Redis: every process (gateway replicas, batch workers) that paces the same API
 * key through the same Redis draws on one budget. rate-limiter-flexible's RateLimiterRedis does the atomic
 * counting (a Lua incr + TTL per call); if Redis fails, its in-memory insurance limiter keeps this process paced
 * on its own until Redis answers again, instead of failing requests.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { RateLimiterPacerStore, type PacerStore } from './pacer-store.js';

export interface RedisPacerStoreOptions {
  /** A connected ioredis client. The store never closes it: its owner does. */
  redis: Redis;
  /** Prefix of every Redis key the store writes. Default `tether:pace`. */
  keyPrefix?: string;
}

export function createRedisPacerStore(options: RedisPacerStoreOptions): PacerStore {
  if (!options || typeof options.redis?.defineCommand !== 'function') {
    throw new TypeError('createRedisPacerStore needs { redis }: an ioredis client (new Redis(url)).');
  }
  return new RateLimiterPacerStore(
    (limiter) =>
      new RateLimiterRedis({
        ...limiter,
        storeClient: options.redis,
        // Fail over to the insurance limiter at once rather than queueing behind a dead connection.
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(limiter),
      }),
    options.keyPrefix,
  );
}
