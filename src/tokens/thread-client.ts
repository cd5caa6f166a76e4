// Runs tokenizers on one worker thread: a load there (0.1–1.6 s of synchronous parsing) leaves this thread's
// event loop free, so a server keeps answering while a new model family's tokenizer loads. It does not keep the
// process alive when idle. A family is held on the thread while it is used: one unused for `idleMs` is dropped
// there (90–350 MB of native memory each), and when none is left the thread itself stops. A family dropped, or
// lost with a thread that died, is loaded again by its next call, which waits for that load.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TokenizerFamily } from './families.js';
import type { TokenizerSource } from './sources.js';

export type ThreadRequest =
  | { id: number; op: 'load'; source: TokenizerSource }
  | { id: number; op: 'unload'; family: TokenizerFamily }
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

export interface TokenizerThreadOptions {
  /**
   * A family not counted with for this long is dropped from the thread, and the thread stops when it holds none
   * (default 15 minutes; 0 or Infinity: families stay for the life of the thread).
   */
  idleMs?: number;
  /** The clock last uses are read from, in ms (default performance.now; tests pass their own). */
  now?: () => number;
}

export const DEFAULT_TOKENIZER_IDLE_MS = 15 * 60_000;

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

/** Families whose last use is more than `idleMs` before `now`: pure, for the sweep. */
export function idleFamilies(lastUsed: ReadonlyMap<TokenizerFamily, number>, now: number, idleMs: number): TokenizerFamily[] {
  const idle: TokenizerFamily[] = [];
  for (const [family, at] of lastUsed) if (now - at >= idleMs) idle.push(family);
  return idle;
}

export class TokenizerThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Every family loaded through this client, with where its files are: what a later call loads again. */
  private readonly sources = new Map<TokenizerFamily, TokenizerSource>();
  /** Families held (or being loaded) on the current thread, with when each was last used. */
  private readonly resident = new Map<TokenizerFamily, number>();
  private readonly idleMs: number;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: TokenizerThreadOptions = {}) {
    const idleMs = options.idleMs ?? DEFAULT_TOKENIZER_IDLE_MS;
    this.idleMs = idleMs > 0 && Number.isFinite(idleMs) ? idleMs : Infinity;
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether a worker thread is running now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** The families held on the thread now. */
  residentFamilies(): TokenizerFamily[] {
    return [...this.resident.keys()];
  }

  /** Builds the family's tokenizer on the thread; rejects with a TokenizerThreadError if it cannot. */
  async load(source: TokenizerSource): Promise<void> {
    const loading = this.call({ op: 'load', source }); // first: starting a thread empties `resident`
    this.resident.set(source.family, this.now());
    try {
      await loading;
    } catch (error) {
      this.resident.delete(source.family);
      throw error;
    }
    this.sources.set(source.family, source);
    if (this.resident.has(source.family)) this.resident.set(source.family, this.now());
    this.startSweeping();
  }

  async count(family: TokenizerFamily, text: string): Promise<number> {
    return (await this.use(family, { op: 'count', family, text })) as number;
  }

  async ids(family: TokenizerFamily, text: string): Promise<number[]> {
    return (await this.use(family, { op: 'ids', family, text })) as number[];
  }

  /** Drops families unused for `idleMs` from the thread, and stops the thread when it holds none. */
  sweep(now = this.now()): void {
    const worker = this.worker;
    if (worker === undefined) return;
    const idle = idleFamilies(this.resident, now, this.idleMs);
    for (const family of idle) {
      this.resident.delete(family);
      void this.call({ op: 'unload', family }).catch(() => undefined);
    }
    // Nothing held and nothing asked but those unloads: end the thread, which returns every byte its tokenizers
    // had (a dropped family's memory otherwise waits for a GC there).
    if (this.resident.size > 0 || this.pending.size > idle.length) return;
    this.stopSweeping();
    this.worker = undefined;
    for (const waiter of this.pending.values()) waiter.resolve(undefined);
    this.pending.clear();
    void worker.terminate();
  }

  /** Stops the thread; calls in flight reject. A later call starts it again. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.sources.clear();
    this.resident.clear();
    this.stopSweeping();
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(new Error('the tokenizer thread was closed'));
    if (worker) await worker.terminate();
  }

  /** A count or ids call, after loading the family again if the thread no longer holds it. */
  private async use(family: TokenizerFamily, question: ThreadQuestion): Promise<number | number[] | undefined> {
    const source = this.sources.get(family);
    if (source !== undefined && !this.resident.has(family)) {
      // Answered in order of arrival: the call below waits for this load, and fails with its reason.
      this.call({ op: 'load', source }).catch(() => this.resident.delete(family));
    }
    if (source !== undefined) this.resident.set(family, this.now());
    const value = await this.call(question);
    if (this.resident.has(family)) this.resident.set(family, this.now());
    return value;
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
    this.resident.clear(); // a new thread holds nothing yet: each family loads again on its next call
    this.startSweeping();
    return worker;
  }

  private startSweeping(): void {
    if (this.sweeper !== undefined || this.idleMs === Infinity) return;
    // A few sweeps per idle period, at most one a minute: a family is dropped between idleMs and 1.5 × idleMs.
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs / 2, 60_000));
    this.sweeper.unref();
  }

  private stopSweeping(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
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
    if (this.worker !== worker) return; // a thread this client already let go (closed, or stopped while idle)
    this.worker = undefined;
    this.resident.clear();
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
