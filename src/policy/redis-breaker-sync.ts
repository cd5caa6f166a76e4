/**
 * Circuit-breaker state shared through Redis: every instance (gateway replicas) whose pipeline uses the same Redis
 * respects a circuit another one opened. The hot path never touches Redis — `isOpen`/`acquire` read this process's
 * registry — only transitions travel: a local open or close is written to `<prefix>:<model>` (with an expiry of a
 * few cool-downs, so a later instance can seed from it) and published on `<prefix>:transitions`; every instance
 * applies the peers' transitions it receives. If Redis is away, circuits simply stay local: writes that failed are
 * sent again, and the keys read again, once it answers.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BreakerRegistry, CircuitTransition } from './breaker.js';

export interface RedisBreakerSyncOptions {
  breakers: BreakerRegistry;
  /** A client for commands (may be shared, e.g. with the pacer store). Never closed by the sync: its owner does. */
  redis: Redis;
  /** A client of its own, for SUBSCRIBE only (a subscribed connection runs no other command). Never closed here. */
  subscriber: Redis;
  /** Prefix of the keys and channel. Default `tether:breaker`. */
  keyPrefix?: string;
  /** This instance's id in what it writes, so it skips its own messages. Default: a random UUID. */
  instanceId?: string;
  /** Redis failures (never thrown: sharing is best effort). Default: ignored. */
  onError?: (error: unknown) => void;
}

export interface BreakerSync {
  /** Resolves once subscribed and seeded from Redis (waiting as long as Redis is away), or at close. Never rejects. */
  readonly ready: Promise<void>;
  /** Stops sharing at once; the clients stay open. */
  close(): Promise<void>;
}

/** What is stored and published: one circuit's latest transition, and which instance made it. */
export interface SharedTransition extends CircuitTransition {
  model: string;
  by: string;
}

/**
 * Store and publish a transition atomically, unless the stored one is newer (transitions written late, after a
 * reconnect, must not overwrite a later one). KEYS[1] the circuit's key; ARGV: record, its time, ttl ms, channel.
 */
const PUT_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, old = pcall(cjson.decode, current)
  if ok and type(old) == 'table' and tonumber(old.at) and tonumber(old.at) > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1`;

/** A stored or published record, or undefined when it is not one (another writer's data under the prefix). */
export function decodeTransition(text: string | null | undefined): SharedTransition | undefined {
  if (typeof text !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const record = value as Partial<SharedTransition> | null;
  if (typeof record !== 'object' || record === null) return undefined;
  const { model, state, at, by } = record;
  if (typeof model !== 'string' || model === '' || (state !== 'open' && state !== 'closed')) return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof by !== 'string') return undefined;
  return { model, state, at, by };
}

/** Escapes glob characters, so a prefix is matched literally by SCAN MATCH. */
function literalPattern(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export function startRedisBreakerSync(options: RedisBreakerSyncOptions): BreakerSync {
  if (!options || typeof options.redis?.eval !== 'function' || typeof options.subscriber?.subscribe !== 'function') {
    throw new TypeError('startRedisBreakerSync needs { breakers, redis, subscriber }: two ioredis clients (new Redis(url)).');
  }
  const { breakers, redis, subscriber } = options;
  const prefix = options.keyPrefix ?? 'tether:breaker';
  const channel = `${prefix}:transitions`;
  const by = options.instanceId ?? randomUUID();
  const report = options.onError ?? (() => {});
  // An open record outlives its cool-down a little (a late instance still sees when it opened), then goes.
  const ttlMs = Math.max(1_000, Math.ceil(breakers.coolDownMs * 3));
  /** Local transitions not yet confirmed written, by model: sent again when the connection is back. */
  const pending = new Map<string, SharedTransition>();
  let closed = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  function write(record: SharedTransition): void {
    redis.eval(PUT_SCRIPT, 1, `${prefix}:${record.model}`, JSON.stringify(record), record.at, ttlMs, channel).then(
      () => {
        if (pending.get(record.model) === record) pending.delete(record.model);
      },
      report,
    );
  }

  function share(model: string, transition: CircuitTransition): void {
    const record: SharedTransition = { model, state: transition.state, at: transition.at, by };
    pending.set(model, record);
    write(record);
  }

  function applyPeer(record: SharedTransition | undefined): void {
    if (record !== undefined && record.by !== by) breakers.apply(record.model, record);
  }

  async function seed(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${literalPattern(prefix)}:*`, 'COUNT', 200);
      cursor = next;
      if (keys.length > 0) for (const text of await redis.mget(keys)) applyPeer(decodeTransition(text));
    } while (cursor !== '0');
  }

  /**
   * (Re)subscribe, then read the stored circuits — in that order, so no transition falls between the two. Runs
   * whenever either connection becomes ready; it needs both (the command client queues nothing while offline).
   */
  async function resync(): Promise<void> {
    if (closed || redis.status !== 'ready' || subscriber.status !== 'ready') return;
    try {
      await subscriber.subscribe(channel);
      await seed();
      markReady();
    } catch (error) {
      report(error);
    }
  }

  const onMessage = (from: string, text: string): void => {
    if (from === channel) applyPeer(decodeTransition(text));
  };
  const onCommandReady = (): void => {
    for (const record of pending.values()) write(record);
    void resync();
  };
  const onSubscriberReady = (): void => void resync();

  const unhook = breakers.onTransition(share);
  subscriber.on('message', onMessage);
  subscriber.on('ready', onSubscriberReady);
  redis.on('ready', onCommandReady);
  void resync();

  return {
    ready,
    async close() {
      if (closed) return;
      closed = true;
      unhook();
      redis.off('ready', onCommandReady);
      subscriber.off('ready', onSubscriberReady);
      subscriber.off('message', onMessage);
      markReady();
      // Not awaited: a reply lost to a dying connection would hold close() until Redis came back.
      if (subscriber.status === 'ready') subscriber.unsubscribe(channel).catch(report);
    },
  };
}
