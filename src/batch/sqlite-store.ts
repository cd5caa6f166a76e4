// The default checkpoint: one SQLite file next to the output (`OUT.tether.sqlite`), WAL mode. Each flush of
// finished requests is one transaction, so a `kill -9` at any point leaves either all of a flush or none of it;
// a request that was in flight is simply redone. One process owns the file at a time (its pid is recorded; a
// dead owner's claim is taken over), because two processes on one SQLite job would both run every request.
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { CheckpointBusyError, CheckpointMismatchError, CheckpointStoreError, PendingQueue } from './store.js';
import type { Claim, CheckpointStore, JobIdentity, JobSummary, OpenOptions, SavedResult } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
  idx INTEGER PRIMARY KEY,
  line TEXT NOT NULL,
  cost_usd REAL NOT NULL,
  failed INTEGER NOT NULL,
  retryable INTEGER NOT NULL
);`;

interface Owner {
  pid: number;
  host: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SqliteStore implements CheckpointStore {
  readonly durable = true;
  private db: Database | undefined;
  private queue = new PendingQueue(0, () => true);
  private done = new Set<number>();
  private stats: Omit<JobSummary, 'total' | 'done'> = { failed: 0, spentUsd: 0, maxRequestCostUsd: 0 };
  private total = 0;
  private insert: ((results: readonly SavedResult[]) => number) | undefined;

  constructor(readonly location: string) {}

  private connect(): Database {
    if (this.db) return this.db;
    try {
      const db = new Database(this.location);
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives the process being killed (only an OS crash can lose the last ones).
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      this.db = db;
      return db;
    } catch (error) {
      throw new CheckpointStoreError(`cannot open the checkpoint ${this.location}: ${(error as Error).message}`);
    }
  }

  async open(job: JobIdentity, options: OpenOptions = {}): Promise<JobSummary> {
    const db = this.connect();
    const get = db.prepare<{ value: string }>('SELECT value FROM job WHERE key = ?');
    const put = db.prepare('INSERT INTO job (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    db.transaction(() => {
      const fingerprint = get.get('fingerprint')?.value;
      if (fingerprint !== undefined && fingerprint !== job.fingerprint) {
        throw new CheckpointMismatchError(
          `the checkpoint ${this.location} belongs to a different job (another input file, or another --model). ` +
            'Delete it to start this job from scratch, or write to another output (-o) or --store.',
        );
      }
      const owner = get.get('owner')?.value;
      if (owner !== undefined) {
        const held = JSON.parse(owner) as Owner;
        const ours = held.pid === process.pid && held.host === hostname();
        if (!ours && (held.host !== hostname() || processAlive(held.pid))) {
          throw new CheckpointBusyError(
            `the checkpoint ${this.location} is in use by another tether run (pid ${held.pid} on ${held.host}). ` +
              'Wait for it to finish, or use --store redis://… to run one job from several processes.',
          );
        }
      }
      put.run('fingerprint', job.fingerprint);
      put.run('total', String(job.total));
      put.run('owner', JSON.stringify({ pid: process.pid, host: hostname() } satisfies Owner));
      if (options.retryFailed) db.prepare('DELETE FROM results WHERE failed = 1 AND retryable = 1').run();
    }).immediate();

    this.total = job.total;
    this.done = new Set(db.prepare<{ idx: number }>('SELECT idx FROM results').all().map((r) => r.idx));
    const row = db
      .prepare<{ failed: number | null; spent: number | null; most: number | null }>(
        'SELECT sum(failed) AS failed, sum(cost_usd) AS spent, max(cost_usd) AS most FROM results',
      )
      .get();
    this.stats = { failed: row?.failed ?? 0, spentUsd: row?.spent ?? 0, maxRequestCostUsd: row?.most ?? 0 };
    this.queue = new PendingQueue(job.total, (i) => this.done.has(i));
    const insert = db.prepare('INSERT OR IGNORE INTO results (idx, line, cost_usd, failed, retryable) VALUES (?, ?, ?, ?, ?)');
    this.insert = db.transaction((results: readonly SavedResult[]) => {
      let added = 0;
      for (const r of results) added += insert.run(r.index, r.line, r.costUsd, r.failed ? 1 : 0, r.retryable ? 1 : 0).changes;
      return added;
    });
    return this.summary();
  }

  async claim(max: number): Promise<Claim> {
    return { indexes: this.queue.take(max), more: 'none', summary: await this.summary() };
  }

  async release(indexes: readonly number[]): Promise<void> {
    this.queue.giveBack(indexes.filter((i) => !this.done.has(i)));
  }

  async save(results: readonly SavedResult[]): Promise<void> {
    if (!this.insert) throw new CheckpointStoreError('save before open');
    const fresh = results.filter((r) => !this.done.has(r.index));
    if (fresh.length === 0) return;
    try {
      this.insert(fresh);
    } catch (error) {
      throw new CheckpointStoreError(`cannot write the checkpoint ${this.location}: ${(error as Error).message}`);
    }
    for (const r of fresh) {
      this.done.add(r.index);
      if (r.failed) this.stats.failed++;
      this.stats.spentUsd += r.costUsd;
      this.stats.maxRequestCostUsd = Math.max(this.stats.maxRequestCostUsd, r.costUsd);
    }
  }

  async stopAll(): Promise<void> {}

  async summary(): Promise<JobSummary> {
    return { total: this.total, done: this.done.size, ...this.stats };
  }

  async *lines(): AsyncIterable<string> {
    const rows = this.connect().prepare<{ line: string }>('SELECT line FROM results ORDER BY idx').iterate();
    for (const row of rows) yield row.line;
  }

  async close(): Promise<void> {
    const db = this.db;
    if (!db?.open) return;
    db.prepare("DELETE FROM job WHERE key = 'owner' AND value = ?").run(JSON.stringify({ pid: process.pid, host: hostname() } satisfies Owner));
    db.close();
    this.db = undefined;
  }
}
