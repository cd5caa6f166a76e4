// Fine-tune jobs: create (parameters checked first), list, get, events, cancel. A job id the account does not
// have (404) becomes a JobNotFoundError listing the account's jobs, nearest ids first.
import { z } from 'zod';
import { PATHS, pathTo } from '../api/index.js';
import type { Transport } from '../api/index.js';
import { TogetherError } from '../errors/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { createdSince, isAmbiguousFailure, nothingCreatedError, outcomeUnknownError } from './ambiguous.js';
import { JobNotFoundError, readJson, unexpectedBody } from './errors.js';
import { nearestIds } from './nearest.js';
import { checkJobParams } from './params.js';
import type { CreateJobParams } from './params.js';
import { fineTuneEventSchema, fineTuneJobSchema } from './types.js';
import type { FineTuneEvent, FineTuneJob, RequestOptions } from './types.js';

const jobListSchema = z.looseObject({ data: z.array(fineTuneJobSchema) });
const eventListSchema = z.looseObject({ data: z.array(fineTuneEventSchema) });

/** How many near ids the fix sentence names (the error carries them all). */
const NAMED_IN_FIX = 5;

async function sendForJob(transport: Transport, request: Parameters<Transport['send']>[0], options: RequestOptions): Promise<{ value: unknown; response: Awaited<ReturnType<Transport['send']>> }> {
  const response = await transport.send({ ...request, signal: options.signal });
  return { value: await readJson(response, options), response };
}

function jobLabel(job: FineTuneJob): string {
  const facts = [job.status, job.model, job.created_at?.slice(0, 10)].filter((f): f is string => typeof f === 'string' && f !== '');
  return `${job.id} (${facts.join(', ')})`;
}

/** A 404 for `id` enriched with the account's jobs, nearest first; the original error if they cannot be listed. */
async function notFound(transport: Transport, id: string, original: TogetherError, options: RequestOptions): Promise<TogetherError> {
  let jobs: FineTuneJob[];
  try {
    jobs = await listJobs(transport, options);
  } catch {
    return original;
  }
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const ordered = nearestIds(id, [...byId.keys()]).map((jobId) => byId.get(jobId) as FineTuneJob);
  const named = ordered.slice(0, NAMED_IN_FIX).map(jobLabel);
  const more = ordered.length - named.length;
  const fix =
    ordered.length === 0
      ? 'This account has no fine-tune jobs yet: create one with `tether finetune create --model ID --training-file FILE_ID`.'
      : `Use one of this account's ${ordered.length} job id${ordered.length === 1 ? '' : 's'}, nearest first: ${named.join(', ')}${more > 0 ? `, and ${more} more (\`tether finetune list\`)` : ''}.`;
  return new JobNotFoundError(ordered, {
    ...original.toJSON(),
    category: 'not_found',
    message: original.message,
    cause: `No fine-tune job ${id} exists on this account: the id is wrong, truncated or belongs to another account.`,
    fix,
    retryable: false,
    details: { id, jobs: ordered.length, ...(named.length > 0 ? { nearest: ordered.slice(0, NAMED_IN_FIX).map((j) => j.id).join(', ') } : {}) },
    original,
  });
}

/** Runs a call on one job id, turning its 404 into a JobNotFoundError. */
async function onJob<T>(transport: Transport, id: string, options: RequestOptions, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TogetherError && error.status === 404) throw await notFound(transport, id, error, options);
    throw error;
  }
}

function parseJob(value: unknown, response: Awaited<ReturnType<Transport['send']>>): FineTuneJob {
  const parsed = fineTuneJobSchema.safeParse(value);
  if (!parsed.success) throw unexpectedBody(response, 'the body is not a fine-tune job (no `id` and `status`)');
  return parsed.data;
}

/** What createJob says when an ambiguous failure turned out to have created the job (for a log or the CLI). */
export interface CreateJobOptions extends RequestOptions {
  onRecovered?: (job: FineTuneJob, failure: TogetherError) => void;
  /** How long to wait before listing jobs a second time when the first look finds none (default 1000 ms). */
  relookDelayMs?: number;
}

/** The newest job made since `startedAt` with the same training file, model and suffix. */
function matchingJob(jobs: readonly FineTuneJob[], body: { training_file: string; model: string; suffix?: string | undefined }, startedAt: number): FineTuneJob | undefined {
  return jobs
    .filter((job) => job.training_file === body.training_file && job.model === body.model && (job.suffix ?? undefined) === (body.suffix ?? undefined))
    .filter((job) => createdSince(job.created_at, startedAt))
    .sort((a, b) => Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? ''))[0];
}

/**
 * Checks the parameters (nothing is sent when they are wrong), then POST /fine-tunes — once: a create is never
 * retried. When it fails after its body was sent (a timeout, a dropped connection), the account's jobs are listed
 * for one made by this call (same training file, model and suffix, created since it started): found, it is returned
 * (and `onRecovered` told); not found (looked twice), the error says nothing was created and a retry is safe.
 */
export async function createJob(transport: Transport, params: CreateJobParams, options: CreateJobOptions = {}): Promise<FineTuneJob> {
  const body = checkJobParams(params);
  const startedAt = Date.now();
  try {
    const { value, response } = await sendForJob(transport, { method: 'POST', path: PATHS.fineTunes, body }, options);
    return parseJob(value, response);
  } catch (error) {
    if (!isAmbiguousFailure(error) || options.signal?.aborted === true) throw error;
    const want = { training_file: body.training_file, model: body.model, suffix: body.suffix ?? undefined };
    try {
      for (let look = 0; look < 2; look++) {
        if (look > 0) await delay(options.relookDelayMs ?? 1000, undefined, options.signal ? { signal: options.signal } : {});
        const found = matchingJob(await listJobs(transport, options), want, startedAt);
        if (found !== undefined) {
          options.onRecovered?.(found, error);
          return found;
        }
      }
    } catch (lookup) {
      throw outcomeUnknownError('fine-tune create', 'fine-tune jobs', 'tether finetune list', error, lookup);
    }
    throw nothingCreatedError('fine-tune create', 'fine-tune jobs', 'tether finetune list', error);
  }
}

export async function listJobs(transport: Transport, options: RequestOptions = {}): Promise<FineTuneJob[]> {
  const { value, response } = await sendForJob(transport, { method: 'GET', path: PATHS.fineTunes }, options);
  const parsed = jobListSchema.safeParse(value);
  if (!parsed.success) throw unexpectedBody(response, 'the body is not a job list ({"data": [...]})');
  return parsed.data.data;
}

/** The full job, events included where Together sends them. */
export async function getJob(transport: Transport, id: string, options: RequestOptions = {}): Promise<FineTuneJob> {
  return onJob(transport, id, options, async () => {
    const { value, response } = await sendForJob(transport, { method: 'GET', path: pathTo.fineTune(id) }, options);
    return parseJob(value, response);
  });
}

export async function listEvents(transport: Transport, id: string, options: RequestOptions = {}): Promise<FineTuneEvent[]> {
  return onJob(transport, id, options, async () => {
    const { value, response } = await sendForJob(transport, { method: 'GET', path: pathTo.fineTuneEvents(id) }, options);
    const parsed = eventListSchema.safeParse(value);
    if (!parsed.success) throw unexpectedBody(response, 'the body is not an event list ({"data": [...]})');
    return parsed.data.data;
  });
}

/** Asks Together to cancel; the job passes through `cancel_requested` before `cancelled`. */
export async function cancelJob(transport: Transport, id: string, options: RequestOptions = {}): Promise<FineTuneJob> {
  return onJob(transport, id, options, async () => {
    const { value, response } = await sendForJob(transport, { method: 'POST', path: pathTo.fineTuneCancel(id) }, options);
    return parseJob(value, response);
  });
}
