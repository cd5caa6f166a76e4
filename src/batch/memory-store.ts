// No checkpoint: results live in this process only (`--store memory`). For a throwaway run, and the baseline
// the benchmark compares checkpointing against.
import { PendingQueue } from './store.js';
import type { Claim, CheckpointStore, JobIdentity, JobSummary, OpenOptions, SavedResult } from './store.js';

export class MemoryStore implements CheckpointStore {
  readonly location = 'memory (no checkpoint)';
  readonly durable = false;
  private results = new Map<number, SavedResult>();
  private queue = new PendingQueue(0, () => true);
  private job: JobIdentity = { fingerprint: '', total: 0 };
  private stats = { failed: 0, spentUsd: 0, maxRequestCostUsd: 0 };

  async open(job: JobIdentity, options: OpenOptions = {}): Promise<JobSummary> {
    if (this.job.fingerprint !== job.fingerprint) this.results = new Map();
    this.job = job;
    if (options.retryFailed) for (const [index, r] of this.results) if (r.failed && r.retryable) this.results.delete(index);
    this.stats = { failed: 0, spentUsd: 0, maxRequestCostUsd: 0 };
    for (const r of this.results.values()) this.count(r);
    this.queue = new PendingQueue(job.total, (i) => this.results.has(i));
    return this.summary();
  }

  private count(r: SavedResult): void {
    if (r.failed) this.stats.failed++;
    this.stats.spentUsd += r.costUsd;
    this.stats.maxRequestCostUsd = Math.max(this.stats.maxRequestCostUsd, r.costUsd);
  }

  async claim(max: number): Promise<Claim> {
    return { indexes: this.queue.take(max), more: 'none', summary: await this.summary() };
  }

  async release(indexes: readonly number[]): Promise<void> {
    this.queue.giveBack(indexes.filter((i) => !this.results.has(i)));
  }

  async save(results: readonly SavedResult[]): Promise<void> {
    for (const r of results) {
      if (this.results.has(r.index)) continue;
      this.results.set(r.index, r);
      this.count(r);
    }
  }

  async stopAll(): Promise<void> {}

  async summary(): Promise<JobSummary> {
    return { total: this.job.total, done: this.results.size, ...this.stats };
  }

  async *lines(): AsyncIterable<string> {
    for (let i = 0; i < this.job.total; i++) {
      const r = this.results.get(i);
      if (r) yield r.line;
    }
  }

  async close(): Promise<void> {}
}
