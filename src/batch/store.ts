// A checkpoint store: where a job's finished requests are kept, and who runs which request next. SQLite (one
// process, the default), Redis (several processes on several machines share one job) or memory (no checkpoint).
// Every store saves results transactionally and keeps the first result for an index, so a request that was
// redone after a crash can never appear twice.

/** The job a store holds: its identity (a hash of the normalised requests) and its size. */
export interface JobIdentity {
  fingerprint: string;
  total: number;
}

/** One finished request, as stored. */
export interface SavedResult {
  index: number;
  /** The output line, already serialised. */
  line: string;
  costUsd: number;
  /** An `error` line (the request failed for good, e.g. a validation error from Together). */
  failed: boolean;
  /** For a failed line: whether sending it again could succeed (`--retry-failed` redoes those). */
  retryable: boolean;
}

export interface JobSummary {
  total: number;
  done: number;
  failed: number;
  spentUsd: number;
  /** The largest cost of one request so far: the runner's estimate for a request in flight. */
  maxRequestCostUsd: number;
  /**
   * From `open` on a shared store: requests other live workers are running right now. Above 0, this process is
   * joining a job in progress, not resuming a stopped one.
   */
  heldElsewhere?: number;
}

export interface Claim {
  /** Indexes this process now runs (input order where possible). */
  indexes: number[];
  /**
   * When `indexes` is empty: `none` = nothing is left to claim (every request is done or held by this process);
   * `later` = other processes hold the rest (their leases may still expire: ask again later).
   */
  more: 'none' | 'later';
  /** Another process stopped the job (e.g. credits ran out): the reason it gave. */
  stoppedBy?: string;
  /** The store-wide picture (other processes' work included). */
  summary: JobSummary;
}

export interface OpenOptions {
  /** Forget failed results that could succeed if sent again, so this run redoes them. */
  retryFailed?: boolean;
}

export interface CheckpointStore {
  /** Where the checkpoint lives, for messages (`out.jsonl.tether.sqlite`, `redis://host:6379 job 1a2b…`, `memory`). */
  readonly location: string;
  /** Whether results outlive this process (false for the memory store). */
  readonly durable: boolean;
  /** Attach to the job (create it or resume it); fails if the store holds a different job. */
  open(job: JobIdentity, options?: OpenOptions): Promise<JobSummary>;
  /** Take up to `max` requests to run. */
  claim(max: number): Promise<Claim>;
  /** Give back claimed requests that were not finished (the run is stopping). */
  release(indexes: readonly number[]): Promise<void>;
  /** Save results in one transaction; a result for an index that already has one is ignored. */
  save(results: readonly SavedResult[]): Promise<void>;
  /** Tell other processes on this job to stop (credits ran out); a new `open` clears it. */
  stopAll(reason: string): Promise<void>;
  summary(): Promise<JobSummary>;
  /** Every result line in input order; only valid once `summary().done === total`. */
  lines(): AsyncIterable<string>;
  close(): Promise<void>;
}

/** The store was made for a different job (another input, another --model). */
export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

/** Another live process holds the SQLite checkpoint. */
export class CheckpointBusyError extends Error {
  override readonly name = 'CheckpointBusyError';
}

/** A store could not be opened or written (unreachable Redis, unwritable file). */
export class CheckpointStoreError extends Error {
  override readonly name = 'CheckpointStoreError';
}

/** Requests not yet claimed by this process, in input order; given-back ones go to the front. */
export class PendingQueue {
  private readonly items: number[] = [];
  private head = 0;

  /** `isDone` is asked again at every `take`, so a request saved meanwhile is never handed out. */
  constructor(
    total: number,
    private readonly isDone: (index: number) => boolean,
  ) {
    for (let i = 0; i < total; i++) if (!isDone(i)) this.items.push(i);
  }

  take(max: number): number[] {
    const out: number[] = [];
    while (out.length < max && this.head < this.items.length) {
      const index = this.items[this.head++] as number;
      if (!this.isDone(index)) out.push(index);
    }
    return out;
  }

  giveBack(indexes: readonly number[]): void {
    const rest = this.items.slice(this.head);
    this.items.length = 0;
    this.items.push(...[...indexes].sort((a, b) => a - b), ...rest);
    this.head = 0;
  }
}
