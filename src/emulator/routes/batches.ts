// The Batch API: POST /v1/batches (201 `{job, warning?}`), GET /v1/batches (a bare array), GET /v1/batches/{id},
// POST /v1/batches/{id}/cancel. Every error here uses Together's batch envelope `{"error": "<string>"}` (OpenAPI
// `BatchErrorResponse`), not the `{"error": {...}}` of the other endpoints. Jobs belong to the key that created
// them; the lifecycle is in batches/store.ts.
import { z } from 'zod';
import type { EmulatorKey } from '../config.js';
import { pause, readJsonBody, resetConnection, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';

/** The endpoints a batch may run here (the emulator processes chat requests). */
const BATCH_ENDPOINTS = ['/v1/chat/completions'];

const createSchema = z.looseObject({
  endpoint: z.string({ error: 'is required: the endpoint every request runs on, "/v1/chat/completions"' }),
  input_file_id: z.string({ error: 'is required: the id of a file uploaded with purpose "batch-api"' }).min(1),
  completion_window: z.string().optional(),
  priority: z.number().int().optional(),
  model_id: z.string().min(1).optional(),
});

function batchError(ex: Exchange, status: number, message: string): void {
  sendJson(ex, status, { error: message });
}

/** The key, then faults naming this exact path; undefined once an error was sent. */
async function admit(state: EmulatorState, ex: Exchange): Promise<EmulatorKey | undefined> {
  const match = /^Bearer\s+(.+)$/i.exec((ex.req.headers.authorization ?? '').trim());
  const key = match ? state.keys.get((match[1] as string).trim()) : undefined;
  state.stats.key(key ? key.name : '(none)');
  if (!key) {
    ex.req.resume();
    batchError(ex, 401, 'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.');
    return undefined;
  }
  ex.logFields.key = key.name;
  const plan = state.faults.beforeResponse({ path: ex.path, inference: false, key, stream: false });
  if (!(await pause(ex, plan.latencyMs))) return undefined;
  if (plan.reset) {
    resetConnection(ex);
    return undefined;
  }
  if (plan.status) {
    ex.req.resume();
    batchError(ex, plan.status.status, plan.status.error.message);
    return undefined;
  }
  return key;
}

async function createBatch(state: EmulatorState, ex: Exchange, key: EmulatorKey): Promise<void> {
  const read = await readJsonBody(ex, state.config.maxBodyBytes);
  if (!read.ok) {
    if ('error' in read) batchError(ex, read.error.status, read.error.error.message);
    return;
  }
  const parsed = createSchema.safeParse(read.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    return batchError(ex, 400, `\`${field}\` ${issue?.message ?? 'is invalid'}. Send e.g. {"endpoint": "/v1/chat/completions", "input_file_id": "file-…"}.`);
  }
  const body = parsed.data;
  if (!BATCH_ENDPOINTS.includes(body.endpoint)) {
    return batchError(ex, 400, `\`endpoint\` must be one of ${BATCH_ENDPOINTS.join(', ')} (got "${body.endpoint}").`);
  }
  const file = state.files.get(key.key, body.input_file_id);
  if (!file) return batchError(ex, 400, `Input file ${body.input_file_id} not found. Upload the requests with purpose "batch-api" first.`);
  if (file.purpose !== 'batch-api') {
    return batchError(ex, 400, `Input file ${body.input_file_id} was uploaded with purpose "${file.purpose}"; a batch needs purpose "batch-api".`);
  }
  if (!file.bytes) return batchError(ex, 400, `Input file ${body.input_file_id} has no content yet: finish its upload first.`);
  if (state.credits.exhausted(key.key)) {
    return batchError(ex, 402, 'Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or upgrade your plan.');
  }
  if (body.model_id) state.stats.model(body.model_id);
  const job = state.batches.create(key, { inputFileId: file.id, fileSizeBytes: file.bytes.length, endpoint: body.endpoint, modelId: body.model_id });
  // Together's window is fixed at 24h (best effort); another value is accepted with a warning.
  const warning =
    body.completion_window !== undefined && body.completion_window !== '24h'
      ? `completion_window "${body.completion_window}" is not supported; the batch uses the 24h window.`
      : undefined;
  // An afterWork latency fault: the batch exists, its answer is late (a client timing out now cannot know it was made).
  if (!(await pause(ex, state.faults.afterWork({ path: ex.path, inference: false, key, stream: false })))) return;
  sendJson(ex, 201, { job: state.batches.toBody(job), ...(warning ? { warning } : {}) });
}

export function batchRoutes(state: EmulatorState): Route[] {
  const withKey =
    (handler: (ex: Exchange, key: EmulatorKey, params: Record<string, string>) => Promise<void>) =>
    async (ex: Exchange, params: Record<string, string>): Promise<void> => {
      const key = await admit(state, ex);
      if (key) await handler(ex, key, params);
    };
  const notFound = (ex: Exchange, id: string): void => batchError(ex, 404, `Batch job ${id} not found.`);
  return [
    { method: 'POST', path: '/v1/batches', handler: withKey((ex, key) => createBatch(state, ex, key)) },
    {
      method: 'GET',
      path: '/v1/batches',
      handler: withKey(async (ex, key) => {
        const jobs = await state.batches.list(state, key.key);
        sendJson(ex, 200, jobs.map((job) => state.batches.toBody(job)));
      }),
    },
    {
      method: 'GET',
      path: '/v1/batches/:id',
      handler: withKey(async (ex, key, { id = '' }) => {
        const job = await state.batches.get(state, key.key, id);
        if (!job) return notFound(ex, id);
        sendJson(ex, 200, state.batches.toBody(job));
      }),
    },
    {
      method: 'POST',
      path: '/v1/batches/:id/cancel',
      handler: withKey(async (ex, key, { id = '' }) => {
        ex.req.resume();
        const outcome = await state.batches.cancel(state, key.key, id);
        if (!outcome) return notFound(ex, id);
        if (!outcome.ok) {
          return batchError(ex, 400, `Batch job ${id} is ${outcome.job.status} and cannot be cancelled (only VALIDATING or IN_PROGRESS batches can).`);
        }
        sendJson(ex, 200, state.batches.toBody(outcome.job));
      }),
    },
  ];
}
