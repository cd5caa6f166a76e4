// `--store` → a checkpoint store: nothing = SQLite next to the output (`OUT.tether.sqlite`), a path = SQLite
// there, `redis://…` = a job shared through Redis, `memory` = no checkpoint.
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { CheckpointStore } from './store.js';

export const CHECKPOINT_SUFFIX = '.tether.sqlite';

export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'memory' } | { kind: 'redis'; url: string; keyPrefix?: string; leaseMs?: number };

/** A bad --store value; the message says what is accepted. */
export class StoreSpecError extends Error {
  override readonly name = 'StoreSpecError';
}

/**
 * Parse a --store value. Redis URLs take two optional query parameters of ours, removed before connecting:
 * `prefix` (key prefix, default `tether:run`) and `lease_ms` (how long a crashed worker's request stays claimed).
 */
export function parseStoreSpec(value: string | undefined, outputPath: string): StoreSpec {
  if (value === undefined || value === '') return { kind: 'sqlite', path: `${outputPath}${CHECKPOINT_SUFFIX}` };
  if (value === 'memory') return { kind: 'memory' };
  if (/^rediss?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new StoreSpecError(`--store ${value.replace(/\/\/[^@/]*@/, '//***@')} is not a valid URL; use redis://host:port[/db]`);
    }
    const prefix = url.searchParams.get('prefix') ?? undefined;
    const lease = url.searchParams.get('lease_ms');
    const leaseMs = lease === null ? undefined : Number(lease);
    if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= 100)) {
      throw new StoreSpecError('--store …?lease_ms= must be a whole number of milliseconds, at least 100');
    }
    url.search = '';
    return { kind: 'redis', url: url.toString(), ...(prefix ? { keyPrefix: prefix } : {}), ...(leaseMs !== undefined ? { leaseMs } : {}) };
  }
  if (value.includes('://')) throw new StoreSpecError(`--store accepts a file path, redis://host:port[/db] or memory, not ${value.split('://')[0]}://`);
  return { kind: 'sqlite', path: value };
}

export function openStore(spec: StoreSpec): CheckpointStore {
  if (spec.kind === 'memory') return new MemoryStore();
  if (spec.kind === 'sqlite') return new SqliteStore(spec.path);
  return new RedisStore({ url: spec.url, ...(spec.keyPrefix ? { keyPrefix: spec.keyPrefix } : {}), ...(spec.leaseMs ? { leaseMs: spec.leaseMs } : {}) });
}
