// Counters for tests and the admin endpoint. Keys are counted by their name, never by the key itself.
import type { FaultKind } from './config.js';
import type { ScenarioState } from './scenario-player.js';

/** What the upstream (this emulator) saw from one key on one model. */
export interface UpstreamCounts {
  /** Requests answered (or cut), whatever the status. */
  requests: number;
  byStatus: Record<string, number>;
  /** USD charged to the key's credits for this model. */
  costUsd: number;
}

export interface EmulatorStats {
  /** Every request under /v1 and unknown paths (admin requests under /_emulator/ are not counted). */
  requests: number;
  /** By path without the query string, e.g. `/v1/chat/completions`. */
  byPath: Record<string, number>;
  /** By the `model` a request named (inference requests with a parsable body). */
  byModel: Record<string, number>;
  /** By key name (`default` for the built-in key, `key-N` or the configured name); `(none)` for 401s. */
  byKey: Record<string, number>;
  /** By HTTP status sent; a reset or cut connection is counted under `reset`. */
  byStatus: Record<string, number>;
  /**
   * What the upstream saw, by key name then model (inference requests whose model was known): what a storm
   * benchmark divides by its client calls for the amplification. `(other)` past MAX_STATS_KEYS pairs.
   */
  byKeyModel: Record<string, Record<string, UpstreamCounts>>;
  /** 429s sent (rate limits of every kind, injected ones too). */
  rateLimited: number;
  /** 503s sent (platform capacity and injected overloads). */
  overloaded: number;
  /** USD charged in all, over every key. */
  costUsd: number;
  /** The scenario playing (see POST /_emulator/scenario). */
  scenario: ScenarioState;
  /** Requests being served now, by model (what platform capacity's `concurrent` counts). */
  inFlight: Record<string, number>;
  /** Chat, completions and embeddings requests that passed every check and reached the model logic. */
  inferenceCalls: number;
  /** Faults injected, by kind. */
  faults: Partial<Record<FaultKind, number>>;
  /** Tokens served (usage of inference calls). */
  tokens: { prompt: number; completion: number };
  /** Credits left, in USD, by key name. */
  creditsUsd: Record<string, number>;
  /** The W3C `traceparent` header of the latest requests that carried one, oldest first (at most MAX_TRACEPARENTS). */
  traceparents: string[];
}

/** Traceparents kept: enough for a test to match a request's attempts, bounded like every counter here. */
export const MAX_TRACEPARENTS = 100;

/**
 * Distinct paths, models, keys or statuses counted each; the rest are counted under `(other)`. Paths and model ids
 * come from clients: without a bound, a stream of made-up ids would grow the counters without end.
 */
export const MAX_STATS_KEYS = 1000;
const OTHER = '(other)';

function bump(map: Map<string, number>, key: string): void {
  const name = key.length > 200 ? `${key.slice(0, 200)}…` : key;
  const counted = map.has(name) || map.size < MAX_STATS_KEYS ? name : OTHER;
  map.set(counted, (map.get(counted) ?? 0) + 1);
}

/** The fields statsSnapshot adds from the upstream recorder, the scenario and capacity. */
type UpstreamFields = 'byKeyModel' | 'rateLimited' | 'overloaded' | 'costUsd' | 'scenario' | 'inFlight';

export class StatsRecorder {
  requests = 0;
  inferenceCalls = 0;
  promptTokens = 0;
  completionTokens = 0;
  readonly byPath = new Map<string, number>();
  readonly byModel = new Map<string, number>();
  readonly byKey = new Map<string, number>();
  readonly byStatus = new Map<string, number>();

  readonly traceparents: string[] = [];

  request(path: string, traceparent?: string | string[]): void {
    this.requests++;
    bump(this.byPath, path);
    if (typeof traceparent === 'string') {
      // Clipped: a client's header is bounded by the server's header limit, not by this list.
      this.traceparents.push(traceparent.slice(0, 128));
      if (this.traceparents.length > MAX_TRACEPARENTS) this.traceparents.shift();
    }
  }

  model(model: string): void {
    bump(this.byModel, model);
  }

  key(name: string): void {
    bump(this.byKey, name);
  }

  status(status: number | 'reset'): void {
    bump(this.byStatus, String(status));
  }

  inference(promptTokens: number, completionTokens: number): void {
    this.inferenceCalls++;
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
  }

  reset(): void {
    this.requests = 0;
    this.inferenceCalls = 0;
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.byPath.clear();
    this.byModel.clear();
    this.byKey.clear();
    this.byStatus.clear();
    this.traceparents.length = 0;
  }

  snapshot(faults: EmulatorStats['faults'], creditsUsd: Record<string, number>): Omit<EmulatorStats, UpstreamFields> {
    return {
      requests: this.requests,
      byPath: Object.fromEntries(this.byPath),
      byModel: Object.fromEntries(this.byModel),
      byKey: Object.fromEntries(this.byKey),
      byStatus: Object.fromEntries(this.byStatus),
      inferenceCalls: this.inferenceCalls,
      faults,
      tokens: { prompt: this.promptTokens, completion: this.completionTokens },
      creditsUsd,
      traceparents: [...this.traceparents],
    };
  }
}
