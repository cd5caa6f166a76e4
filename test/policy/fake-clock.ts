// A manual clock for policy tests: timers run in time order as the test advances it, with the promise queue
// drained between them, so async pumps (the pacer's) run exactly as they would in real time, only instantly.
// With `mockGlobals`, Date and the global timers are mocked too (rate-limiter-flexible reads Date.now() and sets
// its own cleanup timers, which then never fire); call `restore()` after.
import { mock } from 'node:test';
import type { Clock } from '../../src/policy/index.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers = new Map<number, Timer>();
  private readonly mocked: boolean;

  constructor(start = 1_700_000_000_000, options: { mockGlobals?: boolean } = {}) {
    this.time = start;
    this.mocked = options.mockGlobals ?? false;
    if (this.mocked) mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: start });
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.set(timer.seq, timer);
    return timer.seq;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers still scheduled: a policy that cleaned up after itself leaves 0. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running each timer that falls due, in order, with promises drained between. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await flush();
      const next = [...this.timers.values()].filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.delete(next.seq);
      this.set(next.at);
      next.fn();
    }
    this.set(target);
    await flush();
  }

  /** Advances until `promise` settles (or `limitMs` of fake time pass); returns its outcome. */
  async run<T>(promise: Promise<T>, limitMs = 600_000): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    const end = this.time + limitMs;
    while (!settled && this.time < end) {
      await flush();
      if (settled) break;
      const next = [...this.timers.values()].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      await this.advance(next ? Math.min(Math.max(0, next.at - this.time), end - this.time) : end - this.time);
    }
    return promise;
  }

  restore(): void {
    if (this.mocked) mock.timers.reset();
  }

  private set(time: number): void {
    this.time = Math.max(this.time, time);
    if (this.mocked) mock.timers.setTime(this.time);
  }
}
