// Checked chunks waiting to be merged in file order. A chunk checked on this thread is ready at once; a worker's is
// ready when it answers. The caller waits for the oldest only when `window` chunks wait, so a worker that gets less
// of the CPU (a busy machine) only ends up checking fewer chunks instead of holding this thread back.
import type { ChunkResult } from './chunk.js';

/** Takes a checked chunk's result (and its length in bytes), in file order. */
export type Merge = (result: ChunkResult, length: number) => Promise<void>;

interface Waiting {
  result: ChunkResult | undefined;
  done: Promise<ChunkResult> | undefined;
  length: number;
}

export class MergeQueue {
  private readonly queue: Waiting[] = [];

  constructor(
    private readonly window: number,
    private readonly merge: Merge,
  ) {}

  /** A chunk checked on this thread. */
  addReady(result: ChunkResult, length: number): void {
    this.queue.push({ result, done: undefined, length });
  }

  /** A chunk a worker is checking; a rejection surfaces when its turn to merge comes. */
  addPending(done: Promise<ChunkResult>, length: number): void {
    const entry: Waiting = { result: undefined, done: undefined, length };
    entry.done = done.then((result) => (entry.result = result));
    // Awaited in turn in drain(); this keeps a failure from going unhandled meanwhile.
    entry.done.catch(() => undefined);
    this.queue.push(entry);
  }

  /** Chunks not merged yet. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Merges the ready chunks at the head; waits for the oldest only while `window` or more wait (or with `all`). */
  async drain(all = false): Promise<void> {
    const queue = this.queue;
    while (queue.length > 0 && (all || queue[0]!.result !== undefined || queue.length >= this.window)) {
      const next = queue.shift()!;
      await this.merge(next.result ?? (await next.done!), next.length);
    }
  }
}
