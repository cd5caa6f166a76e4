// What the upstream (this emulator) saw per key and model: requests, their statuses and the cost charged. A storm
// benchmark divides these requests by its client calls for the amplification. Keys by name, never the key.
import { MAX_STATS_KEYS } from './stats.js';
import type { UpstreamCounts } from './stats.js';

const OTHER = '(other)';

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export class UpstreamRecorder {
  /** By key name then model; at most MAX_STATS_KEYS pairs (model ids come from clients), the rest under (other). */
  private readonly byKey = new Map<string, Map<string, UpstreamCounts>>();
  private pairs = 0;
  costUsd = 0;

  private counts(key: string, model: string): UpstreamCounts {
    let keyName = clip(key);
    let modelName = clip(model);
    if (!this.byKey.get(keyName)?.has(modelName) && this.pairs >= MAX_STATS_KEYS) {
      keyName = OTHER;
      modelName = OTHER;
    }
    let models = this.byKey.get(keyName);
    if (!models) {
      models = new Map();
      this.byKey.set(keyName, models);
    }
    let counts = models.get(modelName);
    if (!counts) {
      counts = { requests: 0, byStatus: {}, costUsd: 0 };
      models.set(modelName, counts);
      this.pairs++;
    }
    return counts;
  }

  /** One answered (or cut: `reset`) request of `key` on `model`. */
  outcome(key: string, model: string, status: number | 'reset'): void {
    const counts = this.counts(key, model);
    counts.requests++;
    counts.byStatus[String(status)] = (counts.byStatus[String(status)] ?? 0) + 1;
  }

  /** USD charged to `key` for a request on `model`. */
  cost(key: string, model: string, usd: number): void {
    if (!(usd > 0)) return;
    this.costUsd += usd;
    this.counts(key, model).costUsd += usd;
  }

  snapshot(): Record<string, Record<string, UpstreamCounts>> {
    const out: Record<string, Record<string, UpstreamCounts>> = {};
    for (const [key, models] of this.byKey) {
      out[key] = {};
      for (const [model, counts] of models) out[key][model] = { requests: counts.requests, byStatus: { ...counts.byStatus }, costUsd: counts.costUsd };
    }
    return out;
  }

  clear(): void {
    this.byKey.clear();
    this.pairs = 0;
    this.costUsd = 0;
  }
}
