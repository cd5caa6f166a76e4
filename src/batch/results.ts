// `tether batch results ID… -o OUT`: one JSONL in input order from a batch's input, output and error files.
// Together writes output lines in any order, so lines are matched on custom_id; each line becomes the same
// `{"custom_id", "response"}` / `{"custom_id", "error": {category, status, code, message, fix}}` that `tether run`
// writes, errors classified by the errors module. A request with no line in either file (the batch expired, was
// cancelled or failed first) gets an error saying so.
import type { Transport } from '../api/index.js';
import { classify, unansweredError } from '../errors/index.js';
import type { KeySource , TogetherError} from '../errors/index.js';
import { fileContent, getBatch, isTerminalBatchStatus } from './batch-api.js';
import type { BatchJob } from './batch-api.js';
import { splitLines } from './input.js';
import { writeLinesAtomically } from './output.js';
import { errorLine, responseLine } from './result-line.js';

/**
 * The HTTP status an error-file code stands for, so the classifier can read it as the same failure live. The
 * error file carries only `{message, code}` (together-api-facts.md §2.5); unknown codes count as a bad request.
 */
const CODE_STATUS: Readonly<Record<string, number>> = {
  invalid_model: 404,
  model_not_found: 404,
  model_not_available: 400,
  context_length_exceeded: 400,
  invalid_request_error: 400,
  credit_limit: 402,
  invalid_api_key: 401,
  rate_limit_exceeded: 429,
  dynamic_request_limited: 429,
  dynamic_token_limited: 429,
  timeout: 504,
  server_error: 500,
  internal_error: 500,
};

export function statusForErrorCode(code: string | undefined): number {
  return (code !== undefined ? CODE_STATUS[code] : undefined) ?? 400;
}

interface ParsedLine {
  customId: string;
  value: Record<string, unknown>;
}

function parseJsonl(text: string): ParsedLine[] {
  const out: ParsedLine[] = [];
  for (const { text: line } of splitLines(text)) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a torn line is treated as missing: its request gets the "no result" error
    }
    if (typeof value !== 'object' || value === null) continue;
    const customId = (value as { custom_id?: unknown }).custom_id;
    if (typeof customId === 'string') out.push({ customId, value: value as Record<string, unknown> });
  }
  return out;
}

/** One request's result from a batch's files: its output line, and for a failure whether sending it again could succeed. */
export interface BatchLineResult {
  ok: boolean;
  line: string;
  retryable: boolean;
  /**
   * Failed for the account, not the request (credits ran out, the key was refused): it was never really run,
   * and is sent again once the account is fixed, like a request a batch never reached.
   */
  accountStop: boolean;
}

function stopsAccount(error: TogetherError): boolean {
  return error.category === 'billing' || error.category === 'auth';
}

function fromOutput(customId: string, value: Record<string, unknown>, model: string | undefined): BatchLineResult {
  const response = (value.response ?? {}) as { status_code?: unknown; body?: unknown };
  const status = typeof response.status_code === 'number' ? response.status_code : 200;
  if (status >= 200 && status < 300) return { ok: true, line: responseLine(customId, response.body), retryable: false, accountStop: false };
  const error = classify({ status, body: response.body, model });
  return { ok: false, line: errorLine(customId, error), retryable: error.retryable, accountStop: stopsAccount(error) };
}

function fromError(customId: string, value: Record<string, unknown>, model: string | undefined): BatchLineResult {
  const error = (value.error ?? {}) as { message?: unknown; code?: unknown };
  const code = typeof error.code === 'string' ? error.code : undefined;
  const message = typeof error.message === 'string' ? error.message : 'The batch reported an error for this request without a message.';
  const classified = classify({ status: statusForErrorCode(code), body: { error: { message, code: code ?? null } }, model });
  return { ok: false, line: errorLine(customId, classified), retryable: classified.retryable, accountStop: stopsAccount(classified) };
}

/**
 * The result of every input request the batch's output or error file has a line for, by custom_id (pure). A
 * request missing from both files is missing from the map: the batch never ran it.
 */
export function batchLineResults(files: Omit<BatchFiles, 'job'>): Map<string, BatchLineResult> {
  const outputs = new Map<string, Record<string, unknown>>();
  const errors = new Map<string, Record<string, unknown>>();
  for (const { customId, value } of parseJsonl(files.output ?? '')) if (!outputs.has(customId)) outputs.set(customId, value);
  for (const { customId, value } of parseJsonl(files.errors ?? '')) if (!errors.has(customId)) errors.set(customId, value);
  const results = new Map<string, BatchLineResult>();
  for (const { customId, value } of parseJsonl(files.input)) {
    const body = value.body as { model?: unknown } | undefined;
    const model = typeof body?.model === 'string' ? body.model : undefined;
    const output = outputs.get(customId);
    const error = errors.get(customId);
    const merged = output ? fromOutput(customId, output, model) : error ? fromError(customId, error, model) : undefined;
    if (merged) results.set(customId, merged);
  }
  return results;
}

export { unansweredError };

export interface BatchFiles {
  job: Pick<BatchJob, 'id' | 'status' | 'error'>;
  /** The batch's input file: its lines give the order and the models. */
  input: string;
  output?: string | undefined;
  errors?: string | undefined;
}

export interface MergedResults {
  lines: string[];
  answered: number;
  failed: number;
  unanswered: number;
}

/** One line per input request, in input order (pure). */
export function mergeBatchResults(files: BatchFiles): MergedResults {
  const found = batchLineResults(files);
  const result: MergedResults = { lines: [], answered: 0, failed: 0, unanswered: 0 };
  for (const { customId } of parseJsonl(files.input)) {
    const merged = found.get(customId);
    if (merged) {
      result.lines.push(merged.line);
      if (merged.ok) result.answered++;
      else result.failed++;
    } else {
      result.lines.push(errorLine(customId, unansweredError(files.job)));
      result.unanswered++;
    }
  }
  return result;
}

export interface ResultsSummary extends Omit<MergedResults, 'lines'> {
  total: number;
  jobs: BatchJob[];
}

/** A batch that has not ended yet: its results cannot be written. */
export class BatchNotFinishedError extends Error {
  override readonly name = 'BatchNotFinishedError';
  constructor(readonly job: BatchJob) {
    super(`batch ${job.id} is ${job.status}; wait until it ends (\`tether batch wait ${job.id}\`), then ask for its results`);
  }
}

/** Download every batch's files and write one JSONL, batches in the order given, each in its input order. */
export async function writeBatchResults(
  transport: Transport,
  ids: readonly string[],
  outputPath: string,
  options: { keySource?: KeySource | undefined; signal?: AbortSignal | undefined } = {},
): Promise<ResultsSummary> {
  const summary: ResultsSummary = { total: 0, answered: 0, failed: 0, unanswered: 0, jobs: [] };
  const lines: string[] = [];
  for (const id of ids) {
    const job = await getBatch(transport, id, options);
    if (!isTerminalBatchStatus(job.status)) throw new BatchNotFinishedError(job);
    if (!job.input_file_id) throw new Error(`batch ${id} names no input_file_id, so its requests cannot be put back in order`);
    const [input, output, errors] = await Promise.all([
      fileContent(transport, job.input_file_id, options),
      job.output_file_id ? fileContent(transport, job.output_file_id, options) : undefined,
      job.error_file_id ? fileContent(transport, job.error_file_id, options) : undefined,
    ]);
    const merged = mergeBatchResults({ job, input, output, errors });
    lines.push(...merged.lines);
    summary.total += merged.lines.length;
    summary.answered += merged.answered;
    summary.failed += merged.failed;
    summary.unanswered += merged.unanswered;
    summary.jobs.push(job);
  }
  await writeLinesAtomically(outputPath, lines);
  return summary;
}
