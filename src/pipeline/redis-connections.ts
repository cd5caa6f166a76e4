// The pipeline's Redis connections for state shared across processes (pacing budgets, breaker transitions): one
// command client per URL, which pacing and breakers share, plus a subscriber per breaker sync; closed together.
import { Redis } from 'ioredis';
import { startRedisBreakerSync } from '../policy/index.js';
import type { BreakerRegistry, BreakerSync } from '../policy/index.js';
import type { PipelineOptions } from './options.js';

/** Connections are best effort: ioredis reconnects by itself, and each user falls back to local state meanwhile. */
const ignore = (): void => {};

export class RedisConnections {
  private readonly commands = new Map<string, Redis>();
  private readonly subscribers: Redis[] = [];

  /** The command client for `url`, created on first use. */
  command(url: string): Redis {
    let client = this.commands.get(url);
    if (client === undefined) {
      // Fail fast (to the pacer's in-memory insurance, to local circuits) rather than queue commands while Redis is away.
      client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, disconnectTimeout: 50 });
      client.on('error', ignore);
      this.commands.set(url, client);
    }
    return client;
  }

  /**
   * A new client for SUBSCRIBE only. Its queue may wait for Redis as long as it takes (nothing but a subscribe is
   * ever sent on it); the breaker sync subscribes again itself on every 'ready'.
   */
  subscriber(url: string): Redis {
    const client = new Redis(url, { maxRetriesPerRequest: null, autoResubscribe: false, disconnectTimeout: 50 });
    client.on('error', ignore);
    this.subscribers.push(client);
    return client;
  }

  async close(): Promise<void> {
    const all = [...this.commands.values(), ...this.subscribers];
    this.commands.clear();
    this.subscribers.length = 0;
    await Promise.all(all.map((client) => (client.status === 'ready' ? client.quit().then(ignore, () => client.disconnect()) : client.disconnect())));
  }
}

/** Shares `breakers`' transitions through Redis when `breaker.store` asks for it. */
export function shareBreakers(
  store: NonNullable<PipelineOptions['breaker']>['store'],
  breakers: BreakerRegistry,
  connections: RedisConnections,
): BreakerSync | undefined {
  if (store === undefined || store === 'memory') return undefined;
  return startRedisBreakerSync({ breakers, redis: connections.command(store.redis), subscriber: connections.subscriber(store.redis) });
}
