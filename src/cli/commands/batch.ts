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
  recoverBatch,
  StoreSpecError,
  CheckpointBusyError,
  CheckpointMismatchError,
  CheckpointStoreError,
  DEFAULT_CONCURRENCY,
  formatProgress,
  formatUsd,
  BatchNotRecoverableError,
  DEFAULT_BATCH_POLL_MS,
  submitBatch,
  waitForBatches,
  writeBatchResults,
} from '../../batch/index.js';
import type { BatchJob, PartPlan, RecoverResult, SubmitResult, SubmittedPart } from '../../batch/index.js';
import { attachErrorJournal } from '../../diagnostics/index.js';
import { createPipeline } from '../../pipeline/index.js';
import { isTogetherError } from '../../errors/index.js';
import type { KeySource } from '../../errors/index.js';
import { addApiOptions, openApi, resolveApiKey, togetherErrorText } from '../api-options.js';
import type { ApiFlags } from '../api-options.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { drawProgress, printErr, printJson, printOut } from '../output.js';
import { checkInputFile, checkOutputFile } from '../paths.js';
import { parseDeadline } from './run.js';

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

interface RecoverFlags extends CommonOptions {
  output: string;
  via: string;
  deadline?: string;
  deadlineMargin?: string;
  batchPoll?: string;
  retryErrors?: boolean;
  store?: string;
  concurrency: string;
  maxCost?: string;
}

function usd(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/^\$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be an amount in USD above 0, e.g. ${flag} 5 (got ${value})`);
  return n;
}

function recoverText(result: Extract<RecoverResult, { kind: 'ran' }>, output: string, resume: string, via: string): string {
  const { plan, outcome } = result;
  const how = via === 'batch' ? 'resubmitted as a new batch (live for what it has not answered by the deadline)' : 'sent again live';
  const head =
    `batch ${plan.job.id} ${plan.job.status}: ${plan.answered} answered and ${plan.failedKept} failed kept; ` +
    `${plan.missing} never run${plan.failedRetried ? ` and ${plan.failedRetried} failed with a retryable error` : ''} ${how} (${outcome.sent} sent live by this run)\n`;
  if (outcome.complete) {
    return `${head}done: ${outcome.done} of ${outcome.total} (${outcome.failed} failed: their lines carry the error), ${formatUsd(outcome.spentUsd)} spent live\noutput: ${output}\ncheckpoint: ${result.checkpoint}\n`;
  }
  return `${head}stopped: ${outcome.stop?.message ?? 'the recover ended early'}\ndone: ${outcome.done} of ${outcome.total}, left: ${outcome.left}\nkept in: ${result.checkpoint}\nresume with:\n  ${resume}\n`;
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

  addApiOptions(
    batch
      .command('recover')
      .description('For an EXPIRED, FAILED or CANCELLED batch: keep its finished results, send only the missing requests again live, write one file in input order (resumable)')
      .argument('<id>', 'batch id')
      .requiredOption('-o, --output <file>', 'where to write the merged results (one line per input request, in input order)')
      .option('--retry-errors', 'also send again the requests the batch failed with a retryable error (rate limit, overload, timeout, server error)')
      .option('--store <path|redis://…|memory>', 'checkpoint: a SQLite file (default OUT.tether.sqlite), redis://host:port[/db], or memory')
      .option('--concurrency <n>', 'requests in flight at once', String(DEFAULT_CONCURRENCY))
      .option('--max-cost <usd>', 'with --via live: stop before the spend on requests sent again could pass this many USD')
      .option('--via <live|batch>', 'send the requests again live (default), or resubmit them as a new batch at the batch price', 'live')
      .option('--deadline <when>', 'with --via batch: when the answers are needed (90s, 45m, 2h, 1d, or an ISO time); what the new batch has not answered by then, less the margin, is sent live')
      .option('--deadline-margin <seconds>', 'how long before the deadline to send the rest live (default 10% of the time to the deadline, at least 5 s)')
      .option('--batch-poll <seconds>', `time between polls of the new batch (default ${DEFAULT_BATCH_POLL_MS / 1000})`)
      .option('--json', 'print a JSON summary'),
  ).action(async (id: string, flags: RecoverFlags) => {
    checkOutputFile(flags.output, '--output');
    const concurrency = wholeNumber('--concurrency', flags.concurrency, DEFAULT_CONCURRENCY);
    const maxCostUsd = usd('--max-cost', flags.maxCost);
    if (flags.via !== 'live' && flags.via !== 'batch') throw new UsageError(`--via must be live or batch (got ${flags.via})`);
    const started = Date.now();
    if (flags.via === 'batch' && flags.deadline === undefined) throw new UsageError('--via batch needs --deadline: when the answers are needed (e.g. --deadline 24h)');
    if (flags.via === 'batch' && maxCostUsd !== undefined) throw new UsageError("--max-cost works with --via live only: a batch's requests cannot be held back one by one");
    const deadline = flags.deadline === undefined ? undefined : parseDeadline(flags.deadline, started);
    const marginMs = seconds('--deadline-margin', flags.deadlineMargin) ?? Math.max(5000, Math.round(((deadline ?? started) - started) / 10));
    const pollMs = seconds('--batch-poll', flags.batchPoll) ?? DEFAULT_BATCH_POLL_MS;
    const { key } = resolveApiKey(flags);
    let pipeline;
    try {
      pipeline = createPipeline({ apiKey: key, ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}) });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const journal = attachErrorJournal(pipeline.events, { secrets: key ? [key] : [] });
    const resume = ['tether', 'batch', 'recover', id, '-o', flags.output, ...(flags.retryErrors ? ['--retry-errors'] : []), ...(flags.via === 'batch' ? ['--via', 'batch', '--deadline', flags.deadline ?? ''] : []), ...(flags.store ? ['--store', flags.store.replace(/(rediss?:\/\/[^:/@]*:)[^@/]*@/i, '$1<password>@')] : [])].join(' ');
    const interrupt = new AbortController();
    const onSigint = (): void => {
      if (interrupt.signal.aborted) process.exit(130);
      printErr('\nstopping: waiting for the requests in flight (Ctrl-C again to quit at once; they will be redone)\n');
      interrupt.abort();
    };
    process.on('SIGINT', onSigint);
    const tty = process.stderr.isTTY === true && !flags.json;
    try {
      await withApi(flags, async (transport, keySource) => {
        let result: RecoverResult;
        try {
          result = await recoverBatch({
            transport,
            jobId: id,
            outputPath: flags.output,
            store: flags.store,
            send: (request) => pipeline.send(request),
            retryErrors: flags.retryErrors,
            ...(flags.via === 'batch' && deadline !== undefined ? { resubmit: { deadline, marginMs, pollMs } } : {}),
            concurrency,
            maxCostUsd,
            keySource,
            signal: interrupt.signal,
            onProgress: (p) => {
              if (tty) drawProgress(formatProgress(p));
            },
            onStart: ({ done, total, checkpoint }) => {
              if (!flags.json && done > 0) printErr(`kept ${done} of ${total} results (${checkpoint})\n`);
            },
          });
        } catch (error) {
          if (error instanceof StoreSpecError || error instanceof CheckpointMismatchError || error instanceof CheckpointBusyError || error instanceof BatchNotRecoverableError) {
            throw new UsageError(error.message);
          }
          if (error instanceof CheckpointStoreError) {
            printErr(`tether: ${error.message}\n`);
            return EXIT_FINDING;
          }
          throw error;
        }
        if (tty) printErr('\n');
        if (result.kind === 'invalid') {
          printErr(`batch ${id}: its input file has ${result.issues.length} problem(s); nothing was sent:\n${formatIssues(result.issues).map((i) => `  ${i}`).join('\n')}\n`);
          return EXIT_FINDING;
        }
        const { plan, outcome } = result;
        const json = {
          batch: { id: plan.job.id, status: plan.job.status },
          total: plan.total,
          kept: { answered: plan.answered, failed: plan.failedKept },
          resent: { missing: plan.missing, retryableErrors: plan.failedRetried, sentThisRun: outcome.sent },
          complete: outcome.complete,
          done: outcome.done,
          failed: outcome.failed,
          left: outcome.left,
          spentUsd: outcome.spentUsd,
          output: outcome.complete ? flags.output : null,
          checkpoint: result.checkpoint,
          ...(outcome.stop ? { stop: { reason: outcome.stop.reason, message: outcome.stop.message } } : {}),
          ...(outcome.complete ? {} : { resume }),
        };
        if (flags.json) printJson(json);
        else (outcome.complete ? printOut : printErr)(recoverText(result, flags.output, resume, flags.via));
        return outcome.complete ? EXIT_OK : EXIT_FINDING;
      });
    } finally {
      process.off('SIGINT', onSigint);
      journal.detach();
      await pipeline.close();
    }
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
