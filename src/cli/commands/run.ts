// `tether run FILE -o OUT`: every request of a JSONL file through the pipeline, checkpointed, resumable.
// Parsing and output only; the work is src/batch's runFile.
import type { Command } from 'commander';
import {
  CheckpointBusyError,
  CheckpointMismatchError,
  CheckpointStoreError,
  createRunStatusReporter,
  DEFAULT_CONCURRENCY,
  formatIssues,
  formatProgress,
  formatUsd,
  catalogPrices,
  estimateJobCost,
  requestCostBound,
  parseBatchInput,
  readInputFile,
  snapshotPrices,
  DEFAULT_BATCH_POLL_MS,
  InputFileError,
  parseStoreSpec,
  runFile,
  StoreSpecError,
} from '../../batch/index.js';
import type { PriceLookup, RunFileResult, RunOutcome, RunProgress } from '../../batch/index.js';
import type { CatalogModel } from '../../catalog/index.js';
import { createTransport } from '../../api/index.js';
import { attachErrorJournal } from '../../diagnostics/index.js';
import { billingFix, withFrontDoorFix } from '../../errors/index.js';
import { createPipeline } from '../../pipeline/index.js';
import type { PipelineOptions } from '../../pipeline/index.js';
import { addApiOptions, resolveApiKey } from '../api-options.js';
import type { ApiFlags } from '../api-options.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { drawProgress, printErr, printJson, printOut } from '../output.js';
import { checkInputFile, checkOutputFile } from '../paths.js';

interface RunOptions extends ApiFlags {
  output: string;
  concurrency: string;
  store?: string;
  maxCost?: string;
  model?: string;
  retryFailed?: boolean;
  json?: boolean;
  via: string;
  deadline?: string;
  deadlineMargin?: string;
  batchPoll?: string;
  dryRun?: boolean;
}

const VIAS = ['live', 'auto', 'batch'] as const;

/** `90s`, `45m`, `2h`, `1d` from now, or an ISO 8601 time: epoch ms. */
export function parseDeadline(value: string, now = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/i.exec(value.trim());
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(relative[2] as string).toLowerCase() as 's' | 'm' | 'h' | 'd'];
    return now + Number(relative[1]) * unit;
  }
  const at = Date.parse(value);
  if (/^\d{4}-\d\d-\d\dT/.test(value) && Number.isFinite(at)) return at;
  throw new UsageError(`--deadline must be a duration such as 90s, 45m, 2h or 1d, or an ISO time such as 2026-12-08T06:00:00Z (got ${value})`);
}

/** Seconds (e.g. `--batch-poll 30`) as ms. */
function secondsFlag(flag: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a number of seconds above 0 (got ${value})`);
  return Math.round(n * 1000);
}

/** A request's worst case at these prices; 0 where unknown (the runner then reserves the most one request has cost). */
function costBoundAt(prices: PriceLookup): (request: Parameters<typeof requestCostBound>[0]) => number {
  return (request) => requestCostBound(request, prices) ?? 0;
}

/** Prices from the live model list (it wins), the snapshot where the list is unavailable. */
async function currentPrices(listModels: () => Promise<unknown[]>): Promise<PriceLookup> {
  try {
    return catalogPrices((await listModels()) as CatalogModel[]);
  } catch {
    return snapshotPrices();
  }
}

const PROGRESS_INTERVAL_MS = 100;

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`${flag} must be a whole number from 1 to 10000 (got ${value})`);
  return n;
}

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/^\$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be an amount in USD above 0, e.g. ${flag} 5 (got ${value})`);
  return n;
}

/** Quote one argument for a POSIX shell (only when it needs it). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that resumes this run: this invocation's own arguments, with secrets replaced by placeholders (an
 * --api-key value, a password in a redis:// URL) so the line is safe to print and to paste into a log.
 */
export function resumeCommand(argv: readonly string[]): string {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--api-key') {
      args.push(arg, '<your-api-key>');
      i++;
    } else if (arg.startsWith('--api-key=')) args.push('--api-key=<your-api-key>');
    else args.push(arg.replace(/(rediss?:\/\/[^:/@]*:)[^@/]*@/i, '$1<password>@'));
  }
  return ['tether', ...args].map((a) => (a.includes('<your-api-key>') || a.includes('<password>') ? a : shellQuote(a))).join(' ');
}

/** Redraws one progress line on a terminal; silent elsewhere. */
function progressPrinter(enabled: boolean): { update: (p: RunProgress) => void; end: () => void } {
  let last = 0;
  let latest: RunProgress | undefined;
  let drawn = false;
  const draw = (): void => {
    if (!latest) return;
    drawProgress(formatProgress(latest));
    drawn = true;
  };
  return {
    update(p) {
      latest = p;
      if (!enabled) return;
      const now = performance.now();
      if (now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      draw();
    },
    end() {
      if (!enabled) return;
      draw();
      if (drawn) printErr('\n');
    },
  };
}

function summaryJson(result: Extract<RunFileResult, { kind: 'ran' }>, output: string, resume: string): Record<string, unknown> {
  const o = result.outcome;
  return {
    complete: o.complete,
    total: o.total,
    done: o.done,
    failed: o.failed,
    left: o.left,
    spentUsd: o.spentUsd,
    /** Requests whose model has no known price: their cost is missing from spentUsd. */
    unknownPrice: o.unpricedThisRun,
    /** Requests this process finished (with several workers on one job, its share). */
    finishedHere: o.finishedThisRun,
    output: o.complete ? output : null,
    checkpoint: result.checkpoint,
    ...(o.stop ? { stop: { reason: o.stop.reason, message: o.stop.message, ...(o.stop.error ? { error: withFrontDoorFix(o.stop.error, 'run', resume).toJSON() } : {}) } } : {}),
    ...(o.complete ? {} : { resume }),
  };
}

function stopAdvice(outcome: RunOutcome): string {
  switch (outcome.stop?.reason) {
    case 'billing':
      // The command to resume follows on its own line.
      return billingFix('run');
    case 'auth':
      return outcome.stop.error?.fix ?? 'Fix the API key, then resume.';
    case 'max_cost':
      return 'Raise --max-cost to continue (the cap counts the whole job, earlier runs included).';
    case 'store':
      return 'Check the checkpoint store, then resume.';
    default:
      return 'Resume when ready.';
  }
}

/** Spend that could not be counted is said, never shown as $0. */
function unpricedNote(o: RunOutcome): string {
  return o.unpricedThisRun ? `warning: ${o.unpricedThisRun} request(s) used a model with no known price; their cost is not in the spend above\n` : '';
}

function humanSummary(result: Extract<RunFileResult, { kind: 'ran' }>, output: string, resume: string): string {
  const o = result.outcome;
  const failed = o.failed ? ` (${o.failed} failed: their lines carry the error)` : '';
  if (o.complete) {
    return `done: ${o.done} of ${o.total} requests${failed}, ${formatUsd(o.spentUsd)} spent\n${unpricedNote(o)}output: ${output}\ncheckpoint: ${result.checkpoint}\n`;
  }
  return (
    `stopped: ${o.stop?.message ?? 'the run ended early'}\n` +
    `done: ${o.done} of ${o.total}${failed}, left: ${o.left}, spent: ${formatUsd(o.spentUsd)}\n` +
    unpricedNote(o) +
    `kept in: ${result.checkpoint}${result.durable ? '' : ' (not durable: --store memory keeps nothing after this process)'}\n` +
    `${stopAdvice(o)}\n` +
    `resume with:\n  ${resume}\n`
  );
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('Run every request of a JSONL file live through the pipeline, checkpointed: stops on a 402 and resumes where it stopped')
    .argument('<file>', 'JSONL: {"custom_id": "...", "body": {...}} lines, or plain request bodies (ids line-<n>)')
    .requiredOption('-o, --output <file>', 'where to write the results (one line per input line, in input order)')
    .option('--concurrency <n>', 'requests in flight at once', String(DEFAULT_CONCURRENCY))
    .option('--store <path|redis://…|memory>', 'checkpoint: a SQLite file (default OUT.tether.sqlite), redis://host:port[/db] to share the job between processes, or memory for none')
    .option('--max-cost <usd>', "stop before the job's spend could pass this many USD")
    .option('--model <id>', 'use this model for every request')
    .option('--retry-failed', 'redo requests that failed with a retryable error (rate limit, overload, timeout)')
    .option('--via <live|auto|batch>', 'live: every request now; auto: models with a Batch API discount through the Batch API (half price), the rest live; batch: every batchable model through the Batch API', 'live')
    .option('--deadline <when>', 'with --via auto|batch: when every answer is needed (90s, 45m, 2h, 1d, or an ISO time); what the batches have not answered by then, less the margin, is sent live')
    .option('--deadline-margin <seconds>', 'how long before the deadline to send the rest live (default 10% of the time to the deadline, at least 5 s)')
    .option('--batch-poll <seconds>', `time between polls of the batches (default ${DEFAULT_BATCH_POLL_MS / 1000}, or less when the deadline is near)`)
    .option('--dry-run', 'print the cost estimate live versus --via auto and send nothing')
    .option('--json', 'print a JSON summary');
  addApiOptions(command).action(async (file: string, options: RunOptions) => {
    const concurrency = positiveInteger('--concurrency', options.concurrency);
    const maxCostUsd = positiveNumber('--max-cost', options.maxCost);
    const via = options.via as (typeof VIAS)[number];
    if (!VIAS.includes(via)) throw new UsageError(`--via must be live, auto or batch (got ${options.via})`);
    const started = Date.now();
    const deadline = options.deadline === undefined ? undefined : parseDeadline(options.deadline, started);
    if (via !== 'live' && deadline === undefined) throw new UsageError(`--via ${via} needs --deadline: when the answers are needed (e.g. --deadline 24h); what the Batch API has not answered by then is sent live`);
    if (deadline !== undefined && deadline <= started) throw new UsageError(`--deadline ${options.deadline} is already past`);
    const marginMs = secondsFlag('--deadline-margin', options.deadlineMargin, Math.max(5000, Math.round(((deadline ?? started) - started) / 10)));
    const batchPollMs = secondsFlag('--batch-poll', options.batchPoll, DEFAULT_BATCH_POLL_MS);
    checkInputFile(file, 'the input');
    checkOutputFile(options.output, '--output');
    let spec;
    try {
      spec = parseStoreSpec(options.store, options.output);
    } catch (error) {
      if (error instanceof StoreSpecError) throw new UsageError(error.message);
      throw error;
    }
    if (spec.kind === 'sqlite') checkOutputFile(spec.path, 'the checkpoint');
    // A batch's cost is committed when it is submitted, not request by request: the cap could not hold it back.
    if (via !== 'live' && maxCostUsd !== undefined) throw new UsageError(`--max-cost works with --via live only: a batch's requests cannot be held back one by one. Check the cost first with --dry-run`);
    if (via !== 'live' && spec.kind === 'redis') throw new UsageError(`--via ${via} runs in one process: use a SQLite checkpoint (the default), not --store redis://…`);
    const { key, source } = resolveApiKey(options);
    const pipelineOptions: PipelineOptions = {
      apiKey: key,
      keySource: source,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      // Processes sharing a job through Redis share the key's rate budget through the same Redis.
      ...(spec.kind === 'redis' ? { pacing: { store: { redis: spec.url } } } : {}),
    };
    let pipeline;
    try {
      pipeline = createPipeline(pipelineOptions);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (options.dryRun) {
      try {
        const parsed = parseBatchInput(await readInputFile(file), { model: options.model });
        const estimate = estimateJobCost(parsed.requests, await currentPrices(() => pipeline.listModels()));
        if (options.json) printJson({ dryRun: true, ...estimate, ...(parsed.issues.length ? { issues: parsed.issues.length } : {}) });
        else {
          const unknown = estimate.unknownPrice.requests
            ? `\n${estimate.unknownPrice.requests} request(s) use a model with no known price (${estimate.unknownPrice.models.join(', ')}): in neither figure`
            : '';
          printOut(
            `${estimate.requests} requests; at most (prompt bound + max_tokens at current prices):\n` +
              `  --via live: ${formatUsd(estimate.liveUsd)}\n` +
              `  --via auto: ${formatUsd(estimate.autoUsd)} (${estimate.batched} request(s) through the Batch API at its discount)${unknown}\n` +
              'dry run: nothing was sent.\n',
          );
        }
      } catch (error) {
        if (error instanceof InputFileError) throw new UsageError(error.message);
        throw error;
      } finally {
        await pipeline.close();
      }
      return;
    }
    // Classified failures go to the local error journal that `tether debug-bundle` reads.
    const journal = attachErrorJournal(pipeline.events, { secrets: key ? [key] : [] });
    const resume = resumeCommand(process.argv.slice(2));
    const interrupt = new AbortController();
    const onSigint = (): void => {
      if (interrupt.signal.aborted) process.exit(130);
      printErr('\nstopping: waiting for the requests in flight (Ctrl-C again to quit at once; they will be redone)\n');
      interrupt.abort();
    };
    process.on('SIGINT', onSigint);
    const progress = progressPrinter(process.stderr.isTTY === true && !options.json);
    // Progress for other processes (the gateway's dashboard) under $TETHER_HOME/runs/; never fails the run.
    const status = createRunStatusReporter({ input: file, output: options.output });
    let result: RunFileResult | undefined;
    let batchTransport: ReturnType<typeof createTransport> | undefined;
    try {
      result = await runFile({
        inputPath: file,
        outputPath: options.output,
        store: options.store,
        send: (request) => pipeline.send(request),
        concurrency,
        maxCostUsd,
        model: options.model,
        retryFailed: options.retryFailed,
        // The cap reserves each request's worst case at current prices (the live list's where it has them).
        ...(maxCostUsd !== undefined ? { costBound: costBoundAt(await currentPrices(() => pipeline.listModels())) } : {}),
        via,
        ...(via !== 'live' && deadline !== undefined
          ? {
              batch: {
                transport: (batchTransport = createTransport({ apiKey: key, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) })),
                keySource: source,
                deadline,
                marginMs,
                pollMs: batchPollMs,
                prices: await currentPrices(() => pipeline.listModels()),
              },
            }
          : {}),
        onProgress: (p) => {
          progress.update(p);
          status.update(p);
        },
        onStart: ({ total, done, checkpoint, joining }) => {
          status.start({ total, done });
          if (options.json) return;
          if (joining) printErr(`joining a job in progress: ${done} of ${total} done so far by other workers (${checkpoint})\n`);
          else if (done > 0) printErr(`resuming: ${done} of ${total} already done (${checkpoint})\n`);
        },
        signal: interrupt.signal,
      });
    } catch (error) {
      if (error instanceof InputFileError || error instanceof CheckpointMismatchError || error instanceof CheckpointBusyError) {
        throw new UsageError(error.message);
      }
      if (error instanceof CheckpointStoreError) {
        printErr(`tether: ${error.message}\n`);
        process.exitCode = EXIT_FINDING;
        return;
      }
      throw error;
    } finally {
      progress.end();
      process.off('SIGINT', onSigint);
      await status.finish(result?.kind === 'ran' ? result.outcome : undefined, result ? undefined : 'the run failed before it finished');
      journal.detach();
      await batchTransport?.close();
      await pipeline.close();
    }
    if (result.kind === 'invalid') {
      const issues = formatIssues(result.issues);
      if (options.json) printJson({ valid: false, issues: result.issues });
      else printErr(`${file}: ${result.issues.length} problem(s); nothing was sent:\n${issues.map((i) => `  ${i}`).join('\n')}\n`);
      process.exitCode = EXIT_FINDING;
      return;
    }
    if (options.json) printJson(summaryJson(result, options.output, resume));
    else (result.outcome.complete ? printOut : printErr)(humanSummary(result, options.output, resume));
    process.exitCode = result.outcome.complete ? EXIT_OK : EXIT_FINDING;
  });
}
