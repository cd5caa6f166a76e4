// A small pool of worker threads that check chunks. Buffers travel to the worker and back without copying
// (transferred), and the caller bounds how many chunks are in flight. A pool may start before its job is known
// (workers take ~45 ms to start): it then holds the process open only once start() gives it the job.
import { Worker } from 'node:worker_threads';
import type { ChunkResult } from './chunk.js';
import type { ChunkJob } from './job.js';
import type { Chunk } from './reader.js';

export interface ChunkRequest {
  seq: number;
  buffer: ArrayBuffer;
  /** The chunk is buffer[offset, offset + length). */
  offset: number;
  length: number;
  final: boolean;
}

/** What a worker receives: the run's job once, first, then chunks. */
export type WorkerRequest = ChunkRequest | { job: ChunkJob };

export type ChunkReply = { seq: number; buffer: ArrayBuffer; result: ChunkResult } | { seq: number; buffer: ArrayBuffer; error: string };

export interface ChunkDone {
  result: ChunkResult;
  /** The chunk's buffer, back from the worker for reuse. */
  buffer: ArrayBuffer;
}

interface Pending {
  resolve: (done: ChunkDone) => void;
  reject: (error: Error) => void;
}

/**
 * Starts a worker running worker.ts/.js next to this module. From TypeScript source (tsx), the worker first
 * registers tsx itself: loader hooks registered on the main thread do not reach workers on Node 20.
 */
function spawnWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource) return new Worker(new URL('./worker.js', import.meta.url), { execArgv: [] });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv: [] });
}

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  readonly worker: Worker;
  /** Set once the worker has loaded its code: before that, a chunk sent to it waits. */
  ready = false;

  constructor(onFailure: (error: Error) => void) {
    this.worker = spawnWorker();
    this.worker.on('message', (reply: ChunkReply | { ready: true }) => {
      if ('ready' in reply) {
        this.ready = true;
        return;
      }
      const waiter = this.pending.get(reply.seq);
      if (waiter === undefined) return;
      this.pending.delete(reply.seq);
      if ('error' in reply) waiter.reject(new Error(`checking a chunk failed: ${reply.error}`));
      else waiter.resolve({ result: reply.result, buffer: reply.buffer });
    });
    this.worker.on('error', onFailure);
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) onFailure(new Error(`a validation worker exited (code ${code}) with chunks in flight`));
    });
    // Until start(): a pool started early and never used must not keep the process alive. (After the listeners:
    // adding a 'message' listener refs the worker's port again.)
    this.worker.unref();
  }
}

export class WorkerPool {
  private readonly workers: PoolWorker[];
  private failed: Error | undefined;

  /** Starts `size` workers; they check nothing before start(). */
  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => new PoolWorker((error) => this.fail(error)));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Gives every worker the run's job (it goes ahead of any chunk) and keeps the process alive until close(). */
  start(job: ChunkJob): void {
    for (const w of this.workers) {
      w.worker.postMessage({ job } satisfies WorkerRequest);
      w.worker.ref();
    }
  }

  private fail(error: Error): void {
    this.failed ??= error;
    for (const w of this.workers) {
      for (const waiter of w.pending.values()) waiter.reject(error);
      w.pending.clear();
    }
  }

  /**
   * Sends a chunk to a worker with fewer than `perWorker` chunks in flight (one, while it is still starting),
   * transferring its buffer (unusable here until it comes back); undefined when every worker is busy or failed.
   */
  trySubmit(chunk: Chunk, perWorker: number): Promise<ChunkDone> | undefined {
    // After a worker failure the caller checks the remaining chunks itself (chunks that were in
    // flight reject with the failure).
    if (this.failed) return undefined;
    let target: PoolWorker | undefined;
    for (const w of this.workers) {
      // A worker still starting takes one chunk, which waits in its port: it begins the moment it is up, instead
      // of when this thread (checking a chunk of its own, 15-20 ms while its code is cold) next notices.
      const room = w.ready ? perWorker : 1;
      if (w.pending.size < room && (target === undefined || w.pending.size < target.pending.size)) target = w;
    }
    if (target === undefined) return undefined;
    const buffer = chunk.bytes.buffer as ArrayBuffer;
    const worker = target;
    return new Promise<ChunkDone>((resolve, reject) => {
      worker.pending.set(chunk.seq, { resolve, reject });
      const request: WorkerRequest = { seq: chunk.seq, buffer, offset: chunk.bytes.byteOffset, length: chunk.bytes.length, final: chunk.final };
      worker.worker.postMessage(request, [buffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
