// The Batch API as a second path for `tether run --via auto|batch`: the requests it takes are submitted as
// batches (one per model), polled, and each answer is settled into the run's checkpoint at the batch price.
// Whatever a batch has not answered by the send-live time (the deadline less a margin) is handed back to be sent
// live: unfinished batches are cancelled first, so their finished requests are kept and never run twice. Batches
// are recorded in a small state file beside the checkpoint, so a run resumed after a 402 or kill -9 waits on the
// batches it already submitted instead of submitting them again.
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transport } from '../api/index.js';
import { isTogetherError } from '../errors/index.js';
import type { KeySource } from '../errors/index.js';
import { uploadFile } from '../finetune/index.js';
import { clampTimerMs } from '../policy/index.js';
import { cancelBatch, createBatch, fileContent, getBatch, isTerminalBatchStatus } from './batch-api.js';
import type { BatchJob } from './batch-api.js';
import { goesToBatch } from './cost.js';
import type { PriceLookup } from './cost.js';
import { requestLine } from './input.js';
import type { BatchRequest } from './input.js';
import { batchLineResults } from './results.js';
import type { BatchPath, BatchPathHandle } from './runner.js';
import { BATCH_LIMITS } from './submit.js';

export type Via = 'live' | 'batch' | 'auto';

export interface BatchApiPathOptions {
  transport: Transport;
  keySource?: KeySource | undefined;
  prices: PriceLookup;
  /** auto: only models with a batch discount; batch: every model the Batch API runs. */
  via: Exclude<Via, 'live'>;
  /** Epoch ms after which what the batches have not answered is sent live. */
  sendLiveAt: number;
  /** Time between polls of the batches. */
  pollMs: number;
  /** Where the submitted batches are recorded (resume). */
  statePath: string;
  /** The job's fingerprint: a state file for another job is ignored. */
  fingerprint: string;
  now?: () => number;
}

interface RecordedBatch {
  id: string;
  customIds: string[];
}

interface PathState {
  fingerprint: string;
  batches: RecordedBatch[];
}

/** Whether the Batch API runs the request's model at all (for `--via batch`). */
function batchable(request: BatchRequest, prices: PriceLookup): boolean {
  const model = typeof request.body.model === 'string' ? request.body.model : undefined;
  return request.endpoint === 'chat' && model !== undefined && prices(model)?.batchable === true;
}

async function readState(path: string, fingerprint: string): Promise<PathState> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as PathState;
    if (value.fingerprint === fingerprint && Array.isArray(value.batches)) return value;
  } catch {
    // missing or unreadable: no batches submitted yet
  }
  return { fingerprint, batches: [] };
}

async function writeState(path: string, state: PathState): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, path);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, clampTimerMs(ms));
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A batch line's cost: its usage at the model's batch price. */
function lineCost(line: string, model: string | undefined, prices: PriceLookup): number {
  const price = model === undefined ? undefined : prices(model);
  if (!price) return 0;
  const usage = (JSON.parse(line) as { response?: { usage?: { prompt_tokens?: number; completion_tokens?: number } } }).response?.usage;
  const factor = 1 - price.batchDiscount;
  return (((usage?.prompt_tokens ?? 0) * price.input + (usage?.completion_tokens ?? 0) * price.output) * factor) / 1_000_000;
}

export function createBatchApiPath(options: BatchApiPathOptions): BatchPath {
  const now = options.now ?? Date.now;
  const api = { keySource: options.keySource };

  async function submit(requests: readonly BatchRequest[], signal: AbortSignal): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'tether-run-batch-'));
    try {
      const path = join(dir, 'requests.jsonl');
      await writeFile(path, `${requests.map(requestLine).join('\n')}\n`);
      const uploaded = await uploadFile(options.transport, path, { purpose: 'batch-api', validate: false, fileName: 'tether-run.jsonl', signal, keySource: options.keySource });
      const created = await createBatch(options.transport, { inputFileId: uploaded.file.id }, { signal, keySource: options.keySource });
      return created.job.id;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Settle a finished batch's answers; hand back what it did not answer (or failed with a retryable error). */
  async function collect(job: BatchJob, mine: readonly BatchRequest[], handle: BatchPathHandle): Promise<void> {
    const input = `${mine.map(requestLine).join('\n')}\n`;
    const [output, errors] = await Promise.all([
      job.output_file_id ? fileContent(options.transport, job.output_file_id, api) : undefined,
      job.error_file_id ? fileContent(options.transport, job.error_file_id, api) : undefined,
    ]);
    const results = batchLineResults({ input, output, errors });
    const live: number[] = [];
    for (const request of mine) {
      const result = results.get(request.customId);
      // Never answered, failed with a retryable error, or failed because the account stopped: sent live.
      if (!result || result.accountStop || (!result.ok && result.retryable)) live.push(request.index);
      else {
        const model = typeof request.body.model === 'string' ? request.body.model : undefined;
        handle.settle({ index: request.index, line: result.line, costUsd: result.ok ? lineCost(result.line, model, options.prices) : 0, failed: !result.ok, retryable: result.retryable });
      }
    }
    handle.sendLive(live);
  }

  return {
    takes(request) {
      return options.via === 'auto' ? goesToBatch(request, options.prices) : batchable(request, options.prices);
    },

    async run(requests, handle, signal) {
      if (now() >= options.sendLiveAt) return handle.sendLive(requests.map((r) => r.index));
      const byId = new Map(requests.map((r) => [r.customId, r]));
      const state = await readState(options.statePath, options.fingerprint);
      const pending = new Map<string, BatchRequest[]>();
      for (const batch of state.batches) {
        const mine = batch.customIds.map((id) => byId.get(id)).filter((r): r is BatchRequest => r !== undefined);
        for (const r of mine) byId.delete(r.customId);
        if (mine.length) pending.set(batch.id, mine);
      }
      // New batches for what no recorded batch holds: one per model, within Together's per-batch limits.
      const byModel = new Map<string, BatchRequest[]>();
      for (const request of byId.values()) {
        const model = String(request.body.model);
        byModel.set(model, [...(byModel.get(model) ?? []), request]);
      }
      for (const group of byModel.values()) {
        for (let first = 0; first < group.length; first += BATCH_LIMITS.maxLines) {
          if (signal.aborted) return;
          const part = group.slice(first, first + BATCH_LIMITS.maxLines);
          let id: string;
          try {
            id = await submit(part, signal);
          } catch (error) {
            // The Batch API refused (or could not be reached): these go live; the run continues.
            if (isTogetherError(error) || signal.aborted) {
              handle.sendLive(part.map((r) => r.index));
              continue;
            }
            throw error;
          }
          state.batches.push({ id, customIds: part.map((r) => r.customId) });
          await writeState(options.statePath, state);
          pending.set(id, part);
        }
      }
      let cancelled = false;
      while (pending.size && !signal.aborted) {
        const statuses: string[] = [];
        for (const [id, mine] of [...pending]) {
          try {
            const job = await getBatch(options.transport, id, { ...api, signal });
            statuses.push(job.status);
            if (!isTerminalBatchStatus(job.status)) continue;
            await collect(job, mine, handle);
            pending.delete(id);
          } catch (error) {
            if (signal.aborted) return;
            if (!isTogetherError(error)) throw error;
            // A passing failure (overload, timeout, network): ask again at the next poll. Anything else (the batch
            // is gone, the key cannot read it): its requests go live rather than wait for nothing.
            if (error.retryable && now() < options.sendLiveAt) {
              statuses.push('unreachable');
              continue;
            }
            pending.delete(id);
            handle.sendLive(mine.map((r) => r.index));
          }
        }
        handle.report({ status: [...new Set(statuses)].join('/') });
        if (!pending.size) break;
        if (!cancelled && now() >= options.sendLiveAt) {
          // Out of time: stop the batches (their finished requests are kept), then send the rest live.
          cancelled = true;
          for (const id of pending.keys()) await cancelBatch(options.transport, id, api).catch(() => undefined);
          continue;
        }
        const untilLive = options.sendLiveAt - now();
        await sleep(cancelled ? Math.min(options.pollMs, 1000) : Math.max(1, Math.min(options.pollMs, untilLive)), signal);
      }
    },
  };
}

/** Remove the state file of a finished job. */
export async function removeBatchPathState(path: string): Promise<void> {
  await rm(path, { force: true });
}
