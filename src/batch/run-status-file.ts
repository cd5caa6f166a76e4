// `tether run` progress for other processes to read (the gateway's dashboard): one small JSON file per job under
// $TETHER_HOME/runs/, replaced atomically (temp file + rename) at most about once a second, plus a heartbeat so a
// job that was killed shows as stale rather than running forever.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { clampTimerMs } from '../policy/index.js';
import type { RunOutcome, RunProgress } from './runner.js';

export type RunState = 'running' | 'stopped' | 'done';

export interface RunStatus {
  /** Stable per job: a hash of the output file's absolute path (the file a resume names again). */
  jobId: string;
  input: string;
  output: string;
  done: number;
  left: number;
  failed: number;
  /** Requests finished per second by this process in this run. */
  ratePerSec: number;
  /** Seconds until the rest is done at that rate; null while the rate is unknown. */
  etaSec: number | null;
  spendUsd: number;
  state: RunState;
  /** ISO time of the last write (the heartbeat refreshes it). */
  updatedAt: string;
  /** Why a stopped job stopped, for a person. */
  message?: string | undefined;
}

/** A status as the reader returns it: `stale` when a running job has not written for too long (it was killed). */
export interface RunStatusView extends RunStatus {
  stale: boolean;
}

const statusSchema = z.object({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  input: z.string(),
  output: z.string(),
  done: z.number().int().min(0),
  left: z.number().int().min(0),
  failed: z.number().int().min(0),
  ratePerSec: z.number().min(0),
  etaSec: z.number().min(0).nullable(),
  spendUsd: z.number().min(0),
  state: z.enum(['running', 'stopped', 'done']),
  updatedAt: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO time'),
  message: z.string().optional(),
});

/** How often the reporter writes at most, and how often it rewrites an unchanged running status (heartbeat). */
export const RUN_STATUS_INTERVAL_MS = 1000;
export const RUN_STATUS_HEARTBEAT_MS = 5000;
/** A running status older than this is stale: its process no longer writes (killed, or the machine slept). */
export const RUN_STATUS_STALE_MS = 30_000;
/** What the reader shows by default, and how old a file the reporter deletes when it starts. */
export const RUN_STATUS_MAX_AGE_MS = 24 * 3600_000;
export const RUN_STATUS_PRUNE_AGE_MS = 7 * 24 * 3600_000;

/**
 * `$TETHER_HOME/runs`, else `~/.tether/runs`. (The same home as diagnostics' `tetherHome()`; batch sits above
 * diagnostics in the module order, so the two-line rule is repeated here rather than imported.)
 */
export function runsDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['TETHER_HOME']?.trim();
  return join(home ? home : join(homedir(), '.tether'), 'runs');
}

export function runJobId(outputPath: string): string {
  return createHash('sha256').update(resolve(outputPath)).digest('hex').slice(0, 16);
}

/** The status a progress report describes. Pure. */
export function runStatusFromProgress(
  job: { jobId: string; input: string; output: string },
  progress: Pick<RunProgress, 'total' | 'done' | 'failed' | 'spentUsd' | 'finishedThisRun' | 'elapsedMs'>,
  state: RunState,
  now: number,
  message?: string,
): RunStatus {
  const left = Math.max(0, progress.total - progress.done);
  const ratePerSec = progress.elapsedMs > 0 ? progress.finishedThisRun / (progress.elapsedMs / 1000) : 0;
  const etaSec = left === 0 ? 0 : ratePerSec > 0 ? left / ratePerSec : null;
  return {
    jobId: job.jobId,
    input: job.input,
    output: job.output,
    done: progress.done,
    left,
    failed: progress.failed,
    ratePerSec,
    etaSec,
    spendUsd: progress.spentUsd,
    state,
    updatedAt: new Date(now).toISOString(),
    ...(message !== undefined ? { message } : {}),
  };
}

let tempCounter = 0;

/** Writes `<dir>/<jobId>.json` atomically: readers see the old file or the new one, never half of one. */
export async function writeRunStatus(status: RunStatus, dir: string = runsDir()): Promise<void> {
  const checked = statusSchema.safeParse(status);
  if (!checked.success) throw new TypeError(`writeRunStatus: invalid status: ${checked.error.issues[0]?.path.join('.') ?? ''} ${checked.error.issues[0]?.message ?? ''}`);
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${status.jobId}.json`);
  const temp = join(dir, `.${status.jobId}.${process.pid}.${tempCounter++}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(status)}\n`, { mode: 0o600 });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Parses one status file's text; undefined for anything that is not a status (foreign or damaged files). */
export function parseRunStatus(text: string): RunStatus | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = statusSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Every job written within `maxAgeMs`, newest first. A missing directory is no jobs. */
export async function readRunStatuses(dir: string = runsDir(), maxAgeMs: number = RUN_STATUS_MAX_AGE_MS, now: number = Date.now()): Promise<RunStatusView[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.filter((name) => name.endsWith('.json') && !name.startsWith('.'));
  const statuses = await Promise.all(
    files.map(async (name) => {
      try {
        return parseRunStatus(await readFile(join(dir, name), 'utf8'));
      } catch {
        return undefined; // removed or replaced between readdir and read
      }
    }),
  );
  const views: RunStatusView[] = [];
  for (const status of statuses) {
    if (status === undefined) continue;
    const age = now - Date.parse(status.updatedAt);
    if (age > maxAgeMs) continue;
    views.push({ ...status, stale: status.state === 'running' && age > RUN_STATUS_STALE_MS });
  }
  return views.sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
}

/** Deletes status files (and leftover temp files) not modified for `olderThanMs`. Best effort. */
export async function pruneRunStatuses(dir: string = runsDir(), olderThanMs: number = RUN_STATUS_PRUNE_AGE_MS, now: number = Date.now()): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => name.endsWith('.json') || name.endsWith('.tmp'))
      .map(async (name) => {
        const path = join(dir, name);
        try {
          if (now - (await stat(path)).mtimeMs > olderThanMs) await rm(path, { force: true });
        } catch {
          // gone already
        }
      }),
  );
}

export interface RunStatusReporterOptions {
  input: string;
  output: string;
  /** Default `runsDir()`. */
  dir?: string;
  intervalMs?: number;
  heartbeatMs?: number;
  now?: () => number;
}

export interface RunStatusReporter {
  /** The job is attached: `total` requests, `done` of them finished in earlier runs. */
  start(info: { total: number; done: number }): void;
  /** A progress report from the runner; written at most once per interval (the latest one wins). */
  update(progress: RunProgress): void;
  /** The run ended: `done` when complete, else `stopped` (with the stop's message). Writes at once. */
  finish(outcome: RunOutcome | undefined, message?: string): Promise<void>;
}

type ProgressFields = Pick<RunProgress, 'total' | 'done' | 'failed' | 'spentUsd' | 'finishedThisRun' | 'elapsedMs'>;

/**
 * Keeps a job's status file current for `tether run`. Writing never fails the run: a status that cannot be
 * written (read-only home, full disk) is skipped.
 */
export function createRunStatusReporter(options: RunStatusReporterOptions): RunStatusReporter {
  const dir = options.dir ?? runsDir();
  const intervalMs = options.intervalMs ?? RUN_STATUS_INTERVAL_MS;
  const heartbeatMs = options.heartbeatMs ?? RUN_STATUS_HEARTBEAT_MS;
  const now = options.now ?? Date.now;
  const job = { jobId: runJobId(options.output), input: options.input, output: options.output };
  let latest: ProgressFields | undefined;
  let lastWrite = -Infinity;
  let trailing: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let finished = false;
  let startedAt = now();
  let chain: Promise<void> = Promise.resolve();

  const write = (status: RunStatus): Promise<void> => {
    lastWrite = now();
    chain = chain.then(() => writeRunStatus(status, dir)).catch(() => undefined);
    return chain;
  };
  const writeLatest = (): void => {
    trailing = undefined;
    if (latest && !finished) void write(runStatusFromProgress(job, latest, 'running', now()));
  };

  return {
    start({ total, done }) {
      startedAt = now();
      latest = { total, done, failed: 0, spentUsd: 0, finishedThisRun: 0, elapsedMs: 0 };
      void pruneRunStatuses(dir);
      writeLatest();
      heartbeat = setInterval(writeLatest, clampTimerMs(heartbeatMs));
      heartbeat.unref();
    },
    update(progress) {
      if (finished) return;
      latest = progress;
      const wait = lastWrite + intervalMs - now();
      if (wait <= 0) writeLatest();
      else if (trailing === undefined) {
        trailing = setTimeout(writeLatest, clampTimerMs(wait));
        trailing.unref();
      }
    },
    async finish(outcome, message) {
      if (finished) return chain;
      finished = true;
      clearTimeout(trailing);
      clearInterval(heartbeat);
      if (!latest && !outcome) return chain;
      // The outcome's counts are final; the rate is over the whole run.
      const fields: ProgressFields = outcome ? { ...outcome, elapsedMs: now() - startedAt } : (latest as ProgressFields);
      const state: RunState = outcome?.complete ? 'done' : 'stopped';
      const why = outcome?.stop?.message ?? message;
      return write(runStatusFromProgress(job, fields, state, now(), state === 'stopped' ? why : undefined));
    },
  };
}
