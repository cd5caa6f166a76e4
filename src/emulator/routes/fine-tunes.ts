// The fine-tuning API: POST/GET /v1/fine-tunes, GET/DELETE /v1/fine-tunes/{id}, GET /v1/fine-tunes/{id}/events,
// POST /v1/fine-tunes/{id}/cancel. A job needs a known model and an uploaded `fine-tune` file that passed the
// server-side check; it then runs through Together's status lifecycle on the emulator clock (fine-tunes/store.ts).
// Jobs belong to the key that created them; another key's job id is a 404, as an unknown one.
import type { EmulatorKey } from '../config.js';
import { creditLimit } from '../errors.js';
import { admitApiRequest } from '../files/admit.js';
import type { FileReadiness } from '../files/store.js';
import { invalidTrainingFile, jobNotCancellable, jobNotFound, modelNotFineTunable, unusableFile } from '../fine-tunes/errors.js';
import { CREATE_EXAMPLE, createFineTuneSchema, resolveParams } from '../fine-tunes/params.js';
import type { Job } from '../fine-tunes/store.js';
import { fullJob, truncatedJob } from '../fine-tunes/wire.js';
import { estimatePriceSchema, fileTokens, previewRows, previewSchema, pricePerMillion } from '../fine-tunes/estimate.js';
import { invalidRequest } from '../errors.js';
import type { EmulatorError } from '../errors.js';
import { pause, readJsonBody, sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { validateBody } from '../validate.js';
import type { z } from 'zod';

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
  // An afterWork latency fault: the job exists, its answer is late (a client timing out now cannot know it was made).
  if (!(await pause(ex, state.faults.afterWork({ path: ex.path, inference: false, key, stream: false })))) return;
  sendJson(ex, 200, truncatedJob(state.fineTunes, job));
}

/** The JSON body checked against `schema`, or undefined once an error is sent. */
async function readBody<T>(state: EmulatorState, ex: Exchange, schema: z.ZodType<T>, example: string): Promise<T | undefined> {
  const read = await readJsonBody(ex, state.config.maxBodyBytes);
  if (!read.ok) {
    if ('error' in read) sendError(ex, read.error);
    return undefined;
  }
  const checked = validateBody(schema, read.value, example);
  if (!checked.ok) {
    sendError(ex, checked.error);
    return undefined;
  }
  return checked.value;
}

/** What a file's readiness means for an estimate: its bytes, or why there is no estimate. */
type EstimateInput = { kind: 'ready'; bytes: Buffer } | { kind: 'unavailable'; reason: string } | { kind: 'error'; error: EmulatorError };

function estimateInput(state: EmulatorState, key: EmulatorKey, param: 'training_file' | 'validation_file', id: string): EstimateInput {
  const readiness = state.files.readiness(key.key, id);
  const side = param === 'training_file' ? 'train' : 'eval';
  if (readiness.kind === 'processing') return { kind: 'unavailable', reason: `${side}_file_not_validated` };
  if (readiness.kind === 'invalid') return { kind: 'unavailable', reason: `${side}_file_invalid` };
  if (readiness.kind !== 'ready') return { kind: 'error', error: fileProblem(param, id, readiness) as EmulatorError };
  return { kind: 'ready', bytes: readiness.file.bytes ?? Buffer.alloc(0) };
}

const DEFAULT_ESTIMATE_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';

async function estimatePrice(state: EmulatorState, ex: Exchange, key: EmulatorKey): Promise<void> {
  const body = await readBody(state, ex, estimatePriceSchema, '{"training_file": "file-...", "model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", "n_epochs": 1}');
  if (!body) return;
  const model = body.model ?? DEFAULT_ESTIMATE_MODEL;
  if (state.catalog.lookup(model).kind === 'unknown') return sendError(ex, modelNotFineTunable(model));
  const training = estimateInput(state, key, 'training_file', body.training_file);
  const validation = body.validation_file ? estimateInput(state, key, 'validation_file', body.validation_file) : undefined;
  for (const input of [training, validation]) {
    if (input?.kind === 'error') return sendError(ex, input.error);
    if (input?.kind === 'unavailable') return sendJson(ex, 200, { estimation_available: false, unavailable_reason: input.reason });
  }
  const trainTokens = training.kind === 'ready' ? (await fileTokens(model, training.bytes)) * (body.n_epochs ?? 1) : 0;
  const evalTokens = validation?.kind === 'ready' ? (await fileTokens(model, validation.bytes)) * (body.n_evals ?? 0) : 0;
  const rate = pricePerMillion(model, body.training_type?.type ?? 'Lora', body.training_method?.method ?? 'sft');
  const price = Math.round(((trainTokens + evalTokens) * rate) / 1_000_000 * 1e6) / 1e6;
  const balance = state.credits.balance(key.key);
  sendJson(ex, 200, {
    estimation_available: true,
    estimated_total_price: price,
    allowed_to_proceed: balance >= price,
    user_limit: Math.max(0, Math.round(balance * 100) / 100),
    estimated_train_token_count: trainTokens,
    estimated_eval_token_count: evalTokens,
  });
}

async function preview(state: EmulatorState, ex: Exchange, key: EmulatorKey): Promise<void> {
  const body = await readBody(state, ex, previewSchema, '{"model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", "training_file": "file-...", "top_k": 5}');
  if (!body) return;
  const found = state.catalog.lookup(body.model);
  if (found.kind === 'unknown') return sendError(ex, modelNotFineTunable(body.model));
  const input = estimateInput(state, key, 'training_file', body.training_file);
  if (input.kind === 'error') return sendError(ex, input.error);
  if (input.kind === 'unavailable') {
    const readiness = state.files.readiness(key.key, body.training_file);
    return sendError(ex, fileProblem('training_file', body.training_file, readiness) as EmulatorError);
  }
  const maxSeqLength = found.model.context_length ?? 8192;
  const trainOnInputs = body.train_on_inputs ?? false;
  const result = await previewRows(body.model, input.bytes, body.top_k ?? 10, trainOnInputs, maxSeqLength);
  if ('error' in result) return sendError(ex, invalidRequest(`The preview cannot read the training file: ${result.error}.`, 'training_file'));
  sendJson(ex, 200, { dataset_format: result.format, max_seq_length: maxSeqLength, model: body.model, rows: result.rows, train_on_inputs: trainOnInputs });
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
    // Before the :id routes in spirit: these two are fixed paths, not job ids (they answered 405 when matched as one).
    {
      method: 'POST',
      path: '/v1/fine-tunes/estimate-price',
      handler: async (ex) => {
        const key = await admitApiRequest(state, ex);
        if (key) await estimatePrice(state, ex, key);
      },
    },
    {
      method: 'POST',
      path: '/v1/fine-tunes/preview',
      handler: async (ex) => {
        const key = await admitApiRequest(state, ex);
        if (key) await preview(state, ex, key);
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
