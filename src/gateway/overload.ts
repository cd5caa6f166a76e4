// Overload protection, in the spirit of Envoy's overload manager: the gateway watches its own event-loop delay,
// heap use and requests in flight, and while any is past its threshold it sheds new requests at the door (503 with
// `retry-after`, before their body is read) instead of queueing them behind work it cannot finish in time. /healthz
// says why; the metrics count what was shed.
//
// Event-loop delay is measured by timer drift: a sampler asks to run every `sampleIntervalMs` and records how late
// it ran. A request arriving while the sampler is overdue by more than the threshold is shed too (the loop is blocked
// right now, even if no sample has said so yet).
import { getHeapStatistics } from 'node:v8';

export const DEFAULT_OVERLOAD = {
  /**
   * Event-loop delay past which new requests are shed. Half a second of delay means every request in flight is
   * already that late; anything queued behind it waits longer still.
   */
  maxEventLoopDelayMs: 500,
  /** Share of V8's heap limit in use past which new requests are shed (before the process runs out and dies). */
  maxHeapUsedRatio: 0.9,
  /**
   * Requests being handled past which new ones are shed. Each may hold a body of up to `limits.maxBodyBytes` and an
   * upstream connection; far above what one process serves well (a load test at 50 connections keeps ~50).
   */
  maxInFlight: 1024,
  /** How often the event-loop delay and the heap are sampled. */
  sampleIntervalMs: 100,
  /** The `retry-after` a shed request gets. */
  retryAfterMs: 1000,
} as const;

export interface OverloadSettings {
  maxEventLoopDelayMs: number;
  maxHeapUsedRatio: number;
  maxInFlight: number;
  sampleIntervalMs: number;
  retryAfterMs: number;
}

export type OverloadReason = 'event_loop_delay' | 'heap' | 'in_flight';

export const OVERLOAD_REASONS: readonly OverloadReason[] = ['event_loop_delay', 'heap', 'in_flight'];

export interface OverloadStatus {
  overloaded: boolean;
  reasons: OverloadReason[];
  eventLoopDelayMs: number;
  heapUsedRatio: number;
  inflight: number;
  thresholds: { maxEventLoopDelayMs: number; maxHeapUsedRatio: number; maxInFlight: number };
}

/** How many recent samples the event-loop delay is the maximum of: a stall keeps shedding for a few samples after it. */
const DELAY_WINDOW = 5;

export type HeapReader = () => number;

/** Used share of V8's heap limit. */
export function heapUsedRatio(): number {
  const stats = getHeapStatistics();
  return stats.used_heap_size / stats.heap_size_limit;
}

export class OverloadMonitor {
  private settings: OverloadSettings;
  private timer: NodeJS.Timeout | undefined;
  /** When the sampler should next run (performance.now() time). */
  private dueAt = 0;
  private readonly delays: number[] = new Array<number>(DELAY_WINDOW).fill(0);
  private delayAt = 0;
  private recentDelayMs = 0;
  private heapRatio = 0;

  constructor(
    settings: OverloadSettings,
    private readonly readHeap: HeapReader = heapUsedRatio,
  ) {
    this.settings = settings;
  }

  /** The `retry-after` a shed request gets. */
  get retryAfterMs(): number {
    return this.settings.retryAfterMs;
  }

  /** New thresholds (a reload); the sampler restarts at the new interval. */
  configure(settings: OverloadSettings): void {
    const restart = this.timer !== undefined && settings.sampleIntervalMs !== this.settings.sampleIntervalMs;
    this.settings = settings;
    if (restart) {
      this.stop();
      this.start();
    }
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.heapRatio = this.readHeap();
    this.dueAt = performance.now() + this.settings.sampleIntervalMs;
    this.timer = setInterval(() => this.sample(), this.settings.sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = performance.now();
    const delay = Math.max(0, now - this.dueAt);
    this.dueAt = now + this.settings.sampleIntervalMs;
    this.delays[this.delayAt] = delay;
    this.delayAt = (this.delayAt + 1) % DELAY_WINDOW;
    this.recentDelayMs = Math.max(...this.delays);
    this.heapRatio = this.readHeap();
  }

  /** The event-loop delay now: the worst recent sample, or how overdue the sampler is if that is worse. */
  private delayMs(now: number): number {
    return this.timer === undefined ? 0 : Math.max(this.recentDelayMs, now - this.dueAt);
  }

  /**
   * Why a new request must be shed now, or undefined to serve it. `inflight` counts the requests already being
   * handled; `now` is performance.now(). Cheap: the hot path calls it for every request.
   */
  shedReason(inflight: number, now: number): OverloadReason | undefined {
    const s = this.settings;
    if (inflight >= s.maxInFlight) return 'in_flight';
    if (this.recentDelayMs > s.maxEventLoopDelayMs || (this.timer !== undefined && now - this.dueAt > s.maxEventLoopDelayMs)) return 'event_loop_delay';
    if (this.heapRatio > s.maxHeapUsedRatio) return 'heap';
    return undefined;
  }

  /** Every threshold passed, with the readings, for /healthz. */
  status(inflight: number, now: number): OverloadStatus {
    const s = this.settings;
    const eventLoopDelayMs = this.delayMs(now);
    const reasons: OverloadReason[] = [];
    if (eventLoopDelayMs > s.maxEventLoopDelayMs) reasons.push('event_loop_delay');
    if (this.heapRatio > s.maxHeapUsedRatio) reasons.push('heap');
    if (inflight >= s.maxInFlight) reasons.push('in_flight');
    return {
      overloaded: reasons.length > 0,
      reasons,
      eventLoopDelayMs: Math.round(eventLoopDelayMs),
      heapUsedRatio: Math.round(this.heapRatio * 1000) / 1000,
      inflight,
      thresholds: { maxEventLoopDelayMs: s.maxEventLoopDelayMs, maxHeapUsedRatio: s.maxHeapUsedRatio, maxInFlight: s.maxInFlight },
    };
  }
}
