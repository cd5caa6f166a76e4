// `tether run` status files under $TETHER_HOME/runs/: one small JSON file per job, replaced atomically (temp file +
// rename), read by anyone who shows progress (the gateway's dashboard). The format and its reader/writer; the
// reporter that keeps a job's file current is batch's.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { runsDir } from './home.js';

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

/** A running status older than this is stale: its process no longer writes (killed, or the machine slept). */
export const RUN_STATUS_STALE_MS = 30_000;
/** What the reader shows by default, and how old a file the reporter deletes when it starts. */
export const RUN_STATUS_MAX_AGE_MS = 24 * 3600_000;
export const RUN_STATUS_PRUNE_AGE_MS = 7 * 24 * 3600_000;

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

