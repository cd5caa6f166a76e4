// Runs tokenizers on one worker thread: a load there (0.1–1.6 s of synchronous parsing) leaves this thread's
// event loop free, so a server keeps answering while a new model family's tokenizer loads. The worker holds
// every family loaded through it; it does not keep the process alive when idle, and if it dies it is started
// again on the next call, with the families it held loaded first.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TokenizerFamily } from './families.js';
import type { TokenizerSource } from './sources.js';

export type ThreadRequest =
  | { id: number; op: 'load'; source: TokenizerSource }
  | { id: number; op: 'count' | 'ids'; family: TokenizerFamily; text: string };

export type ThreadReply =
  | { id: number; ok: true; value?: number | number[] }
  | { id: number; ok: false; message: string; missingPackage: boolean };

/** Omit distributed over a union's members (plain Omit would merge them). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** A request before it is numbered. */
type ThreadQuestion = WithoutId<ThreadRequest>;

type Pending = { resolve: (value: number | number[] | undefined) => void; reject: (error: Error) => void };

/** A call the tokenizer thread answered with an error (missingPackage: the package or native engine is absent). */
export class TokenizerThreadError extends Error {
  override readonly name = 'TokenizerThreadError';
  constructor(
    message: string,
    readonly missingPackage: boolean,
  ) {
    super(message);
  }
}

// The entry sits beside this file: .js when built; .ts when run from source, where the worker registers tsx's
// loader itself (a worker does not inherit the loader hooks of `--import tsx`).
const ENTRY = new URL(`./tokenizer-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function startWorker(): Worker {
  // No node flags: the parent's (--input-type, -e, --test…) mean nothing to, or break, the worker.
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, { execArgv: [] });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); });`;
  return new Worker(code, { eval: true, execArgv: [] });
}

export class TokenizerThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Families loaded on the thread: loaded again first if the thread has to be started again. */
  private readonly loaded = new Map<TokenizerFamily, TokenizerSource>();

  /** Builds the family's tokenizer on the thread; rejects with a TokenizerThreadError if it cannot. */
  async load(source: TokenizerSource): Promise<void> {
    await this.call({ op: 'load', source });
    this.loaded.set(source.family, source);
  }

  async count(family: TokenizerFamily, text: string): Promise<number> {
    return (await this.call({ op: 'count', family, text })) as number;
  }

  async ids(family: TokenizerFamily, text: string): Promise<number[]> {
    return (await this.call({ op: 'ids', family, text })) as number[];
  }

  /** Stops the thread; calls in flight reject. A later call starts it again. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.loaded.clear();
    if (worker) await worker.terminate();
  }

  private call(request: ThreadQuestion): Promise<number | number[] | undefined> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held while something waits on it, so a script awaiting a count does not exit under it.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...request, id });
    });
  }

  private start(): Worker {
    const worker = startWorker();
    worker.unref();
    worker.on('message', (reply: ThreadReply) => this.settle(reply));
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) => this.stopped(worker, new Error(`the tokenizer thread exited (code ${code})`)));
    this.worker = worker;
    // Messages are answered in order of arrival for loads, so these come before any count sent after them.
    for (const source of this.loaded.values()) {
      const id = this.nextId++;
      this.pending.set(id, { resolve: () => undefined, reject: () => undefined });
      worker.postMessage({ op: 'load', source, id } satisfies ThreadRequest);
    }
    if (this.pending.size > 0) worker.ref();
    return worker;
  }

  private settle(reply: ThreadReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new TokenizerThreadError(reply.message, reply.missingPackage));
  }

  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker && this.worker !== undefined) return;
    this.worker = undefined;
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
