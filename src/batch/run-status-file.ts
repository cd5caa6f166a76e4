// `tether run` progress for other processes to read (the gateway's dashboard): the job's status file (its format
// and location are local-state's) rewritten at most about once a second, plus a heartbeat so a job that was killed
// shows as stale rather than running forever.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pruneRunStatuses, runsDir, writeRunStatus } from '../local-state/index.js';
import type { RunState, RunStatus } from '../local-state/index.js';
import { clampTimerMs } from '../policy/index.js';
import type { RunOutcome, RunProgress } from './runner.js';

/** How often the reporter writes at most, and how often it rewrites an unchanged running status (heartbeat). */
export const RUN_STATUS_INTERVAL_MS = 1000;
export const RUN_STATUS_HEARTBEAT_MS = 5000;

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
