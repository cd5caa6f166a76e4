// `tether batch submit|status|wait|cancel|results|list`: Together's Batch API (half price, 24-hour window).
// Parsing and output only; the work is src/batch's submitBatch, waitForBatches, writeBatchResults.
import type { Command } from 'commander';
import type { Transport } from '../../api/index.js';
import {
  BATCH_LIMITS,
  BatchNotFinishedError,
  BatchWaitTimeoutError,
  cancelBatch,
  formatIssues,
  getBatch,
  InputFileError,
  isTerminalBatchStatus,
  listBatches,
  progressBar,
  submitBatch,
  waitForBatches,
  writeBatchResults,
} from '../../batch/index.js';
import type { BatchJob, PartPlan, SubmitResult, SubmittedPart } from '../../batch/index.js';
import { isTogetherError } from '../../errors/index.js';
import type { KeySource } from '../../errors/index.js';
import { addApiOptions, openApi, togetherErrorText } from '../api-options.js';
import type { ApiFlags } from '../api-options.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { drawProgress, printErr, printJson, printOut } from '../output.js';
import { checkInputFile, checkOutputFile } from '../paths.js';

interface CommonOptions extends ApiFlags {
  json?: boolean;
}

interface SubmitFlags extends CommonOptions {
  model?: string;
  maxLines?: string;
  maxBytes?: string;
  dryRun?: boolean;
}

interface WaitFlags extends CommonOptions {
  interval: string;
  timeout?: string;
}

interface ResultsFlags extends CommonOptions {
  output: string;
}

function wholeNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number of at least 1 (got ${value})`);
  return n;
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a number of seconds above 0 (got ${value})`);
  return Math.round(n * 1000);
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  if (json) printJson(value);
  else printOut(text);
}

/** Run a subcommand with a transport; a TogetherError is printed with its cause and fix, exit 1. */
async function withApi(flags: CommonOptions, action: (transport: Transport, keySource: KeySource) => Promise<number>): Promise<void> {
  const { transport, keySource } = openApi(flags);
  try {
    process.exitCode = await action(transport, keySource);
  } catch (error) {
    if (isTogetherError(error)) {
      if (flags.json) printJson({ error: error.toJSON() });
      else printErr(`tether: ${togetherErrorText(error)}\n`);
      process.exitCode = EXIT_FINDING;
    } else if (error instanceof BatchNotFinishedError || error instanceof BatchWaitTimeoutError) {
      printErr(`tether: ${error.message}\n`);
      process.exitCode = EXIT_FINDING;
    } else if (error instanceof InputFileError) {
      throw new UsageError(error.message);
    } else throw error;
  } finally {
    await transport.close();
  }
}

function describeJob(job: BatchJob): string {
  const rows: Array<[string, string | number | undefined]> = [
    ['id', job.id],
    ['status', job.status],
    ['progress', job.progress === undefined ? undefined : `${job.progress}%`],
    ['endpoint', job.endpoint],
    ['model', job.model_id],
    ['created', job.created_at],
    ['deadline', job.job_deadline],
    ['completed', job.completed_at],
    ['input file', job.input_file_id],
    ['output file', job.output_file_id],
    ['error file', job.error_file_id],
    ['error', job.error],
  ];
  return `${rows
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${`${name}:`.padEnd(13)}${value}`)
    .join('\n')}\n`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${Math.round(bytes / 100_000) / 10} MB` : `${bytes} bytes`;
}

function submitText(file: string, result: Exclude<SubmitResult, { kind: 'invalid' }>, limits: { maxLines: number; maxBytes: number }): string {
  const parts: ReadonlyArray<PartPlan | SubmittedPart> = result.parts;
  const total = result.kind === 'planned' ? parts.length : result.planned;
  const out: string[] = [];
  if (total > 1) {
    out.push(
      `${file}: ${result.requests} requests, over the Batch API's limit of ${limits.maxLines} requests or ${formatBytes(limits.maxBytes)} per batch, so it is split into ${total} batches.`,
    );
  } else out.push(`${file}: ${result.requests} requests, every line checked.`);
  for (const part of parts) {
    const range = `requests ${part.first + 1}–${part.first + part.count} (${part.count}, ${part.bytes} bytes)`;
    if ('job' in part) out.push(`  batch ${part.job.id}: ${range}, ${part.job.status}${part.warning ? ` (warning: ${part.warning})` : ''}`);
    else out.push(`  part ${part.part}: ${range}`);
  }
  if (result.kind === 'planned') {
    out.push('dry run: nothing was uploaded.');
    return `${out.join('\n')}\n`;
  }
  const ids = result.parts.map((p) => p.job.id).join(' ');
  if (result.failure) {
    out.push(`only ${result.parts.length} of ${result.planned} batches were created; the next one failed:`, `  ${togetherErrorText(result.failure)}`);
  }
  out.push(`wait:    tether batch wait ${ids}`, `results: tether batch results ${ids} -o results.jsonl`);
  return `${out.join('\n')}\n`;
}

function submitJson(result: Exclude<SubmitResult, { kind: 'invalid' }>): unknown {
  if (result.kind === 'planned') return { requests: result.requests, dryRun: true, split: result.parts.length > 1, parts: result.parts };
  return {
    requests: result.requests,
    split: result.planned > 1,
    batches: result.parts.map((p) => ({ id: p.job.id, status: p.job.status, part: p.part, first: p.first, count: p.count, bytes: p.bytes, fileId: p.fileId, ...(p.warning ? { warning: p.warning } : {}) })),
    ...(result.failure ? { failure: result.failure.toJSON() } : {}),
  };
}

/** One progress line for several batches on a terminal. */
function waitLine(jobs: readonly BatchJob[], elapsedMs: number): string {
  const progress = jobs.reduce((sum, j) => sum + (j.status === 'COMPLETED' ? 100 : (j.progress ?? 0)), 0) / Math.max(1, jobs.length);
  const statuses = [...new Set(jobs.map((j) => j.status))].join('/');
  return `${progressBar(progress / 100, 24)} ${progress.toFixed(1)}% · ${statuses} · ${Math.round(elapsedMs / 1000)}s`;
}

export function registerBatch(program: Command): void {
  const batch = program.command('batch').description("Together's Batch API: submit a JSONL file, follow it, and collect its results in input order");

  addApiOptions(
    batch
      .command('submit')
      .description('Check every line, split over the per-batch limits, upload (purpose batch-api) and create the batch(es)')
      .argument('<file>', 'JSONL: {"custom_id": "...", "body": {...}} lines or plain chat request bodies (ids line-<n>)')
      .option('--model <id>', 'use this model for every request')
      .option('--max-lines <n>', `requests per batch (default ${BATCH_LIMITS.maxLines}, Together's limit)`)
      .option('--max-bytes <n>', `bytes per batch input file (default ${BATCH_LIMITS.maxBytes}, Together's limit)`)
      .option('--dry-run', 'check and plan only; upload nothing')
      .option('--json', 'print JSON'),
  ).action(async (file: string, flags: SubmitFlags) => {
    const limits = {
      maxLines: Math.min(wholeNumber('--max-lines', flags.maxLines, BATCH_LIMITS.maxLines), BATCH_LIMITS.maxLines),
      maxBytes: Math.min(wholeNumber('--max-bytes', flags.maxBytes, BATCH_LIMITS.maxBytes), BATCH_LIMITS.maxBytes),
    };
    checkInputFile(file, 'the input');
    await withApi(flags, async (transport, keySource) => {
      const result = await submitBatch({ transport, inputPath: file, model: flags.model, limits, dryRun: flags.dryRun, keySource });
      if (result.kind === 'invalid') {
        if (flags.json) printJson({ valid: false, issues: result.issues });
        else printErr(`${file}: ${result.issues.length} problem(s); nothing was uploaded:\n${formatIssues(result.issues).map((i) => `  ${i}`).join('\n')}\n`);
        return EXIT_FINDING;
      }
      print(flags.json, submitJson(result), submitText(file, result, limits));
      return result.kind === 'submitted' && result.failure ? EXIT_FINDING : EXIT_OK;
    });
  });

  addApiOptions(batch.command('status').description("Show a batch's status").argument('<id>', 'batch id').option('--json', 'print the BatchJob as JSON')).action(
    async (id: string, flags: CommonOptions) => {
      await withApi(flags, async (transport, keySource) => {
        const job = await getBatch(transport, id, { keySource });
        print(flags.json, job, describeJob(job));
        return EXIT_OK;
      });
    },
  );

  addApiOptions(
    batch
      .command('wait')
      .description('Wait until every batch given ends; exit 0 only if all COMPLETED')
      .argument('<ids...>', 'batch ids')
      .option('--interval <seconds>', 'time between polls (Together suggests 30-60)', '30')
      .option('--timeout <seconds>', 'give up after this long (the batches keep running)')
      .option('--json', 'print the final BatchJobs as JSON'),
  ).action(async (ids: string[], flags: WaitFlags) => {
    const intervalMs = seconds('--interval', flags.interval) as number;
    const timeoutMs = seconds('--timeout', flags.timeout);
    const tty = process.stderr.isTTY === true && !flags.json;
    const started = Date.now();
    await withApi(flags, async (transport, keySource) => {
      const jobs = await waitForBatches(transport, ids, {
        intervalMs,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        keySource,
        onPoll: (current) => {
          if (tty) drawProgress(waitLine(current, Date.now() - started));
        },
      });
      if (tty) printErr('\n');
      const text = jobs.map((j) => `${j.id}: ${j.status}${j.error ? ` (${j.error})` : ''}`).join('\n');
      const ok = jobs.every((j) => j.status === 'COMPLETED');
      const next = `results: tether batch results ${ids.join(' ')} -o results.jsonl`;
      print(flags.json, jobs, `${text}\n${jobs.every((j) => isTerminalBatchStatus(j.status)) ? `${next}\n` : ''}`);
      return ok ? EXIT_OK : EXIT_FINDING;
    });
  });

  addApiOptions(batch.command('cancel').description('Cancel a VALIDATING or IN_PROGRESS batch (finished requests are kept and billed)').argument('<id>', 'batch id').option('--json', 'print the BatchJob as JSON')).action(
    async (id: string, flags: CommonOptions) => {
      await withApi(flags, async (transport, keySource) => {
        const job = await cancelBatch(transport, id, { keySource });
        print(flags.json, job, `${job.id}: ${job.status}\n`);
        return EXIT_OK;
      });
    },
  );

  addApiOptions(
    batch
      .command('results')
      .description("Write one JSONL in input order with each request's response or classified error")
      .argument('<ids...>', 'batch ids (several: the parts of a split file, in order)')
      .requiredOption('-o, --output <file>', 'where to write the results')
      .option('--json', 'print a JSON summary'),
  ).action(async (ids: string[], flags: ResultsFlags) => {
    checkOutputFile(flags.output, '--output');
    await withApi(flags, async (transport, keySource) => {
      const summary = await writeBatchResults(transport, ids, flags.output, { keySource });
      const unanswered = summary.unanswered ? `, ${summary.unanswered} never run (${summary.jobs.map((j) => `${j.id} ${j.status}`).join(', ')})` : '';
      const text = `wrote ${summary.total} lines to ${flags.output}: ${summary.answered} answered, ${summary.failed} failed${unanswered}\n`;
      print(flags.json, { output: flags.output, total: summary.total, answered: summary.answered, failed: summary.failed, unanswered: summary.unanswered, batches: summary.jobs.map((j) => ({ id: j.id, status: j.status })) }, text);
      return EXIT_OK;
    });
  });

  addApiOptions(batch.command('list').description("The account's batches").option('--json', 'print the BatchJobs as JSON')).action(async (flags: CommonOptions) => {
    await withApi(flags, async (transport, keySource) => {
      const jobs = await listBatches(transport, { keySource });
      const rows = jobs.map((j) => `${j.id.padEnd(38)} ${j.status.padEnd(12)} ${`${j.progress ?? 0}%`.padStart(7)}  ${j.created_at ?? ''}`);
      print(flags.json, jobs, jobs.length ? `${['id'.padEnd(38) + ' status       progress  created', ...rows].join('\n')}\n` : 'no batches\n');
      return EXIT_OK;
    });
  });
}
