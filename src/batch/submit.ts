// `tether batch submit FILE`: check every line (format, body schema, model, context) before anything is
// uploaded; split a file over Together's per-batch limits (50,000 requests, 100 MB) into several batches; upload
// each part with purpose `batch-api` and create its batch.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Transport } from '../api/index.js';
import { isTogetherError } from '../errors/index.js';
import type { KeySource, TogetherError } from '../errors/index.js';
import { uploadFile } from '../finetune/index.js';
import { createBatch } from './batch-api.js';
import type { BatchJob } from './batch-api.js';
import { checkBatchModels } from './batch-check.js';
import { parseBatchInput, requestLine } from './input.js';
import type { BatchRequest, InputIssue } from './input.js';
import { readInputFile } from './run-file.js';

/** Together's limits per batch [facts §2.5]. */
export const BATCH_LIMITS = { maxLines: 50_000, maxBytes: 100 * 1000 * 1000 } as const;

export interface SplitLimits {
  maxLines: number;
  maxBytes: number;
}

export interface PartPlan {
  /** 1-based part number. */
  part: number;
  /** Index of its first request in the input, and how many it holds. */
  first: number;
  count: number;
  bytes: number;
}

/**
 * Cut the requests into parts that each respect both limits, in input order. A single request larger than
 * `maxBytes` cannot be sent in any batch: it is returned as an issue.
 */
export function planParts(requests: readonly BatchRequest[], limits: SplitLimits): { parts: PartPlan[]; issues: InputIssue[] } {
  const parts: PartPlan[] = [];
  const issues: InputIssue[] = [];
  let current: PartPlan | undefined;
  for (const request of requests) {
    const bytes = Buffer.byteLength(requestLine(request)) + 1;
    if (bytes > limits.maxBytes) {
      issues.push({ line: request.line, message: `the request is ${bytes} bytes; a batch input file holds at most ${limits.maxBytes}` });
      continue;
    }
    if (!current || current.count >= limits.maxLines || current.bytes + bytes > limits.maxBytes) {
      current = { part: parts.length + 1, first: request.index, count: 0, bytes: 0 };
      parts.push(current);
    }
    current.count++;
    current.bytes += bytes;
  }
  return { parts, issues };
}

export interface SubmitOptions {
  transport: Transport;
  inputPath: string;
  /** Use this model for every request. */
  model?: string | undefined;
  limits?: Partial<SplitLimits> | undefined;
  /** Check and plan only: nothing is uploaded. */
  dryRun?: boolean | undefined;
  keySource?: KeySource | undefined;
  signal?: AbortSignal | undefined;
  /** Called as each part is uploaded and its batch created. */
  onPart?: (part: SubmittedPart) => void;
}

export interface SubmittedPart extends PartPlan {
  fileId: string;
  job: BatchJob;
  warning?: string;
}

export type SubmitResult =
  | { kind: 'invalid'; issues: InputIssue[]; requests: number }
  | { kind: 'planned'; requests: number; parts: PartPlan[] }
  | { kind: 'submitted'; requests: number; parts: SubmittedPart[]; planned: number; failure?: TogetherError };

export async function submitBatch(options: SubmitOptions): Promise<SubmitResult> {
  const parsed = parseBatchInput(await readInputFile(options.inputPath), { model: options.model, onlyEndpoint: 'chat' });
  const limits: SplitLimits = { ...BATCH_LIMITS, ...options.limits };
  const plan = planParts(parsed.requests, limits);
  const issues = [...parsed.issues, ...plan.issues, ...(await checkBatchModels(parsed.requests))].sort((a, b) => a.line - b.line);
  if (issues.length) return { kind: 'invalid', issues, requests: parsed.requests.length };
  if (options.dryRun) return { kind: 'planned', requests: parsed.requests.length, parts: plan.parts };

  const dir = await mkdtemp(join(tmpdir(), 'tether-batch-submit-'));
  const submitted: SubmittedPart[] = [];
  const stem = basename(options.inputPath).replace(/\.jsonl$/i, '');
  try {
    for (const part of plan.parts) {
      const name = plan.parts.length === 1 ? `${stem}.jsonl` : `${stem}.part-${part.part}-of-${plan.parts.length}.jsonl`;
      const path = join(dir, name);
      const lines = parsed.requests.slice(part.first, part.first + part.count).map(requestLine);
      await writeFile(path, `${lines.join('\n')}\n`);
      try {
        const uploaded = await uploadFile(options.transport, path, {
          purpose: 'batch-api',
          validate: false,
          fileName: name,
          signal: options.signal,
          keySource: options.keySource,
        });
        const created = await createBatch(options.transport, { inputFileId: uploaded.file.id }, { signal: options.signal, keySource: options.keySource });
        const done: SubmittedPart = { ...part, fileId: uploaded.file.id, job: created.job, ...(created.warning ? { warning: created.warning } : {}) };
        submitted.push(done);
        options.onPart?.(done);
      } catch (error) {
        // Parts already submitted run on; report them with the failure instead of losing their ids.
        if (submitted.length && isTogetherError(error)) return { kind: 'submitted', requests: parsed.requests.length, parts: submitted, planned: plan.parts.length, failure: error };
        throw error;
      } finally {
        await rm(path, { force: true });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { kind: 'submitted', requests: parsed.requests.length, parts: submitted, planned: plan.parts.length };
}
