// The fine-tuning API: POST/GET /v1/fine-tunes, GET/DELETE /v1/fine-tunes/{id}, GET /v1/fine-tunes/{id}/events,
// POST /v1/fine-tunes/{id}/cancel. A job needs a known model and an uploaded `fine-tune` file that passed the
// server-side check; it then runs through Together's status lifecycle on the emulator clock (fine-tunes-store.ts).
// Jobs belong to the key that created them; another key's job id is a 404, as an unknown one.
import type { EmulatorKey } from '../config.js';
import { creditLimit } from '../errors.js';
import { admitApiRequest } from '../files-admit.js';
import type { FileReadiness } from '../files-store.js';
import { invalidTrainingFile, jobNotCancellable, jobNotFound, modelNotFineTunable, unusableFile } from '../fine-tunes-errors.js';
import { CREATE_EXAMPLE, createFineTuneSchema, resolveParams } from '../fine-tunes-params.js';
import type { Job } from '../fine-tunes-store.js';
import { fullJob, truncatedJob } from '../fine-tunes-wire.js';
import type { EmulatorError } from '../errors.js';
import { readJsonBody, sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { validateBody } from '../validate.js';

const UPLOAD_FIX = 'Upload the data with POST /v1/files/upload (or `tether finetune upload FILE`) and pass the id it returns.';

/** Why a file cannot be trained on, or undefined when it can. */
function fileProblem(param: 'training_file' | 'validation_file', id: string, readiness: FileReadiness): EmulatorError | undefined {
  switch (readiness.kind) {
    case 'ready':
      return undefined;
    case 'missing':
      return unusableFile(param, id, 'does not exist on this account', UPLOAD_FIX);
    case 'not_uploaded':
      return unusableFile(param, id, 'has no content yet', 'PUT its bytes to the upload URL returned by POST /v1/files first.');
    case 'processing':
      return unusableFile(param, id, 'is still being checked (processing_status RUNNING)', `Wait until GET /v1/files/${id} shows processing_status COMPLETED.`);
    case 'wrong_purpose':
      return unusableFile(param, id, `was uploaded with purpose "${readiness.purpose}"`, 'Upload it again with purpose "fine-tune".');
    case 'invalid':
      return invalidTrainingFile(param, id, readiness.error);
  }
}

async function createJob(state: EmulatorState, ex: Exchange, key: EmulatorKey): Promise<void> {
  const read = await readJsonBody(ex, state.config.maxBodyBytes);
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return;
  }
  const checked = validateBody(createFineTuneSchema, read.value, CREATE_EXAMPLE);
  if (!checked.ok) return sendError(ex, checked.error);
  const body = checked.value;
  state.stats.model(body.model);
  ex.logFields.model = body.model;
  if (state.catalog.lookup(body.model).kind === 'unknown') return sendError(ex, modelNotFineTunable(body.model));
  if (state.credits.exhausted(key.key)) return sendError(ex, creditLimit());
  const training = state.files.readiness(key.key, body.training_file);
  const problem =
    fileProblem('training_file', body.training_file, training) ??
    (body.validation_file ? fileProblem('validation_file', body.validation_file, state.files.readiness(key.key, body.validation_file)) : undefined);
  if (problem) return sendError(ex, problem);
  if (training.kind !== 'ready') return; // unreachable: fileProblem answered
  const params = resolveParams(body, training.file.report?.dataset_format);
  const job = state.fineTunes.create(key.key, key.name, params, { lines: training.lines, bytes: training.file.bytes?.length ?? 0 });
  sendJson(ex, 200, truncatedJob(state.fineTunes, job));
}

export function fineTuneRoutes(state: EmulatorState): Route[] {
  const store = state.fineTunes;
  /** Runs `handler` with the caller's job, or answers 404. */
  const withJob =
    (handler: (ex: Exchange, key: EmulatorKey, job: Job) => void) =>
    async (ex: Exchange, { id = '' }: Record<string, string>): Promise<void> => {
      const key = await admitApiRequest(state, ex);
      if (!key) return;
      ex.req.resume();
      const job = store.get(key.key, id);
      if (!job) return sendError(ex, jobNotFound(id));
      handler(ex, key, job);
    };
  return [
    {
      method: 'POST',
      path: '/v1/fine-tunes',
      handler: async (ex) => {
        const key = await admitApiRequest(state, ex);
        if (key) await createJob(state, ex, key);
      },
    },
    {
      method: 'GET',
      path: '/v1/fine-tunes',
      handler: async (ex) => {
        const key = await admitApiRequest(state, ex);
        if (key) sendJson(ex, 200, { data: store.list(key.key).map((job) => truncatedJob(store, job)) });
      },
    },
    { method: 'GET', path: '/v1/fine-tunes/:id', handler: withJob((ex, _key, job) => sendJson(ex, 200, fullJob(store, job))) },
    { method: 'GET', path: '/v1/fine-tunes/:id/events', handler: withJob((ex, _key, job) => sendJson(ex, 200, { data: job.events })) },
    {
      method: 'POST',
      path: '/v1/fine-tunes/:id/cancel',
      handler: withJob((ex, _key, job) => {
        const result = store.cancel(job);
        if (result.ok) sendJson(ex, 200, truncatedJob(store, result.job));
        else sendError(ex, jobNotCancellable(job.id, job.status));
      }),
    },
    {
      method: 'DELETE',
      path: '/v1/fine-tunes/:id',
      handler: withJob((ex, key, job) => {
        store.delete(key.key, job.id);
        sendJson(ex, 200, { message: `Fine-tune job ${job.id} deleted` });
      }),
    },
  ];
}
