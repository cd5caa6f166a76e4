// `tether finetune upload|create|list|get|events|cancel|wait`: argument parsing and output only; the work is in
// src/finetune. Exit 0 ok; 1 an invalid file, a failed or cancelled job, an API error; 2 a usage error.
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { Transport } from '../../api/index.js';
import type { KeySource } from '../../errors/index.js';
import { isTogetherError } from '../../errors/index.js';
import {
  DEFAULT_UPLOAD_FLOW,
  DatasetRefusedError,
  FILE_PURPOSES,
  JobNotFoundError,
  UploadInputError,
  cancelJob,
  checkJobParams,
  createJob,
  getJob,
  listEvents,
  listJobs,
  uploadFile,
  waitForJob,
} from '../../finetune/index.js';
import type { CreateJobParams, FilePurpose, FineTuneEvent, FineTuneJob, UploadFlow, UploadProgress } from '../../finetune/index.js';
import { addApiOptions, openApi, togetherErrorText } from '../api-options.js';
import type { ApiFlags } from '../api-options.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { clearProgress, drawProgress, printErr, printJson as printJsonDocument, printOut } from '../output.js';
import { checkInputFile } from '../paths.js';
import { formatReport } from './validate.js';

interface CommonFlags extends ApiFlags {
  json?: boolean;
}

interface UploadFlags extends CommonFlags {
  purpose: FilePurpose;
  validate: boolean;
  flow: UploadFlow;
}

interface CreateFlags extends CommonFlags {
  model: string;
  trainingFile: string;
  validationFile?: string;
  nEpochs?: number;
  nCheckpoints?: number;
  nEvals?: number;
  batchSize?: number | 'max';
  learningRate?: number;
  lora?: boolean;
  loraR?: number;
  loraAlpha?: number;
  full?: boolean;
  suffix?: string;
}

interface WaitFlags extends CommonFlags {
  interval: number;
  timeout?: number;
}

function integer(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${flag} must be an integer.`);
    return Number(value);
  };
}

function number(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number.`);
    return n;
  };
}

function positiveSeconds(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a number of seconds > 0.`);
    return n;
  };
}

function batchSize(value: string): number | 'max' {
  return value === 'max' ? 'max' : integer('--batch-size')(value);
}

function print(text: string): void {
  printOut(text.endsWith('\n') ? text : `${text}\n`);
}

function printJson(value: unknown): void {
  printJsonDocument(value, 2);
}

/** Progress on stderr for a terminal, a few times a second; nothing when stderr is not one (or with --json). */
function uploadProgress(file: string, json: boolean | undefined): { update: (p: UploadProgress) => void; clear: () => void } {
  if (json || !process.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  let last = 0;
  let shown = false;
  const verbs = { validate: 'validating', upload: 'uploading', process: 'waiting for Together to check' };
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 200 && p.done < p.total) return;
      last = now;
      shown = true;
      const share = p.phase === 'process' || p.total === 0 ? '' : `: ${Math.floor((p.done / p.total) * 100)}% (${(p.done / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB)`;
      drawProgress(`${verbs[p.phase]} ${file}${share}`);
    },
    clear() {
      if (shown) clearProgress();
      shown = false;
    },
  };
}

/** Shows a failure the way the DESIGN conventions ask, and sets the exit code; rethrows what is not ours. */
function report(error: unknown, json: boolean | undefined): void {
  if (error instanceof UploadInputError) throw new UsageError(error.message);
  if (error instanceof DatasetRefusedError) {
    if (json) printJson({ error: { name: error.name, message: error.message, fix: error.fix }, report: error.report });
    else {
      print(formatReport(error.path, error.report));
      printErr(`tether: ${error.message}\n  fix:   ${error.fix}\n`);
    }
    process.exitCode = EXIT_FINDING;
    return;
  }
  if (isTogetherError(error)) {
    const candidates = error instanceof JobNotFoundError ? error.candidates : undefined;
    if (json) printJson({ error: error.toJSON(), ...(candidates ? { jobs: candidates } : {}) });
    else {
      printErr(`tether: ${togetherErrorText(error)}\n`);
      if (candidates && candidates.length > 0) printErr(`this account's jobs, nearest id first:\n${jobTable(candidates)}\n`);
    }
    process.exitCode = EXIT_FINDING;
    return;
  }
  throw error;
}

/** Opens the API, runs `work`, reports a failure, always closes the transport. */
async function withApi(flags: CommonFlags, work: (transport: Transport, keySource: KeySource) => Promise<void>): Promise<void> {
  const { transport, keySource } = openApi(flags);
  try {
    await work(transport, keySource);
  } catch (error) {
    report(error, flags.json);
  } finally {
    await transport.close();
  }
}

function jobTable(jobs: readonly FineTuneJob[]): string {
  const rows = [['ID', 'STATUS', 'MODEL', 'CREATED', 'OUTPUT'], ...jobs.map((j) => [j.id, j.status, j.model ?? '-', j.created_at ?? '-', j.model_output_name ?? '-'])];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

function jobDetails(job: FineTuneJob): string {
  const rows: Array<[string, unknown]> = [
    ['status', job.status],
    ['model', job.model],
    ['output model', job.model_output_name],
    ['training file', job.training_file],
    ['validation file', job.validation_file],
    ['suffix', job.suffix],
    ['epochs', job.n_epochs === undefined || job.n_epochs === null ? undefined : `${job.epochs_completed ?? 0}/${job.n_epochs} completed`],
    ['learning rate', job.learning_rate],
    ['tokens', job.token_count],
    ['created', job.created_at],
    ['updated', job.updated_at],
    ['next status in', job.progress?.estimate_available ? `~${job.progress.seconds_remaining ?? 0} s` : undefined],
  ];
  const lines = [job.id];
  for (const [label, value] of rows) if (value !== undefined && value !== null && value !== '') lines.push(`  ${`${label}:`.padEnd(17)}${String(value)}`);
  return lines.join('\n');
}

function eventLine(event: FineTuneEvent): string {
  return `${event.created_at ?? '-'}  ${(event.level ?? '-').padEnd(7)} ${(event.type ?? '-').padEnd(31)} ${event.message ?? ''}`;
}

/** The create flags as Together's parameters, checked (a bad value is a usage error: nothing was sent). */
function createParams(flags: CreateFlags): CreateJobParams {
  if (flags.lora && flags.full) throw new UsageError('--lora and --full exclude each other: pick one training type.');
  const lora = flags.lora || flags.loraR !== undefined || flags.loraAlpha !== undefined;
  if (lora && flags.full) throw new UsageError('--lora-r/--lora-alpha apply to LoRA training, not --full.');
  const loraR = flags.loraR ?? 8;
  const params: CreateJobParams = {
    model: flags.model,
    training_file: flags.trainingFile,
    ...(flags.validationFile !== undefined ? { validation_file: flags.validationFile } : {}),
    ...(flags.nEpochs !== undefined ? { n_epochs: flags.nEpochs } : {}),
    ...(flags.nCheckpoints !== undefined ? { n_checkpoints: flags.nCheckpoints } : {}),
    ...(flags.nEvals !== undefined ? { n_evals: flags.nEvals } : {}),
    ...(flags.batchSize !== undefined ? { batch_size: flags.batchSize } : {}),
    ...(flags.learningRate !== undefined ? { learning_rate: flags.learningRate } : {}),
    ...(flags.suffix !== undefined ? { suffix: flags.suffix } : {}),
    // Alpha defaults to twice the rank, as Together's Python SDK does.
    ...(lora ? { training_type: { type: 'Lora' as const, lora_r: loraR, lora_alpha: flags.loraAlpha ?? loraR * 2 } } : {}),
    ...(flags.full ? { training_type: { type: 'Full' as const } } : {}),
  };
  try {
    checkJobParams(params);
  } catch (error) {
    if (isTogetherError(error)) throw new UsageError(`${error.message}. ${error.fix}`);
    throw error;
  }
  return params;
}

function registerUpload(finetune: Command): void {
  addApiOptions(
    finetune
      .command('upload')
      .description("Validate a fine-tuning file with tether's rules, refuse it if invalid, else upload it (with progress) and wait for Together's own check")
      .argument('<file>', 'the .jsonl (or .parquet / .csv) file to upload')
      .addOption(new Option('--purpose <purpose>', 'what the file is for').choices([...FILE_PURPOSES]).default('fine-tune'))
      .option('--no-validate', "skip tether's validation (Together still checks the file after upload)")
      .addOption(
        new Option('--flow <flow>', 'redirect: POST /files → 302 → PUT (what the official SDKs do); multipart: POST /files/upload')
          .choices(['redirect', 'multipart'])
          .default(DEFAULT_UPLOAD_FLOW),
      )
      .option('--json', 'print JSON: {file, flow, validation}'),
  ).action(async (file: string, flags: UploadFlags) => {
    checkInputFile(file, 'the file');
    const progress = uploadProgress(file, flags.json);
    await withApi(flags, async (transport, keySource) => {
      try {
        const result = await uploadFile(transport, file, { purpose: flags.purpose, validate: flags.validate, flow: flags.flow, keySource, onProgress: progress.update });
        progress.clear();
        if (flags.json) printJson(result);
        else {
          const f = result.file;
          if (result.validation) print(`validated ${file}: ${result.validation.samples} example(s), no errors`);
          print(`uploaded ${file} as ${f.id} (${f.bytes ?? '?'} bytes, purpose ${f.purpose ?? flags.purpose}${f.processing_status ? `, ${f.processing_status}` : ''})`);
          if (flags.purpose === 'fine-tune') print(`next: tether finetune create --model MODEL --training-file ${f.id}`);
        }
        process.exitCode = EXIT_OK;
      } finally {
        progress.clear();
      }
    });
  });
}

function registerCreate(finetune: Command): void {
  addApiOptions(
    finetune
      .command('create')
      .description('Start a fine-tuning job (parameters are checked before anything is sent)')
      .requiredOption('--model <id>', 'base model, e.g. meta-llama/Meta-Llama-3.1-8B-Instruct-Reference')
      .requiredOption('--training-file <file-id>', 'id of an uploaded fine-tune file (tether finetune upload)')
      .option('--validation-file <file-id>', 'id of an uploaded validation file')
      .option('--n-epochs <n>', 'passes over the data (default 1)', integer('--n-epochs'))
      .option('--n-checkpoints <n>', 'checkpoints to save (default 1)', integer('--n-checkpoints'))
      .option('--n-evals <n>', 'evaluations on the validation file (default 0)', integer('--n-evals'))
      .option('--batch-size <n|max>', 'batch size, or max (default)', batchSize)
      .option('--learning-rate <x>', 'learning rate (default 1e-5)', number('--learning-rate'))
      .option('--lora', 'LoRA training (Together’s default when no type is given); rank 8, alpha 2×rank unless set')
      .option('--lora-r <n>', 'LoRA rank (implies --lora)', integer('--lora-r'))
      .option('--lora-alpha <n>', 'LoRA alpha (implies --lora; default 2 × rank)', integer('--lora-alpha'))
      .option('--full', 'full fine-tuning instead of LoRA')
      .option('--suffix <text>', 'added to the fine-tuned model name')
      .option('--json', 'print the job as JSON'),
  ).action(async (flags: CreateFlags) => {
    const params = createParams(flags);
    await withApi(flags, async (transport, keySource) => {
      const job = await createJob(transport, params, {
        keySource,
        // Said on stderr, so --json output stays one object.
        onRecovered: (found, failure) =>
          printErr(`the create request's answer was lost (${failure.category}); tether looked and found the job it made, ${found.id}: not created twice\n`),
      });
      if (flags.json) printJson(job);
      else print(`created fine-tune job ${job.id} (${job.status})\nfollow it: tether finetune wait ${job.id}`);
      process.exitCode = EXIT_OK;
    });
  });
}

function registerReads(finetune: Command): void {
  addApiOptions(finetune.command('list').description("List the account's fine-tuning jobs").option('--json', 'print JSON')).action(async (flags: CommonFlags) => {
    await withApi(flags, async (transport, keySource) => {
      const jobs = await listJobs(transport, { keySource });
      if (flags.json) printJson(jobs);
      else print(jobs.length === 0 ? 'no fine-tuning jobs on this account' : `${jobTable(jobs)}\n\n${jobs.length} job(s)`);
      process.exitCode = EXIT_OK;
    });
  });

  addApiOptions(finetune.command('get').description('Show one job').argument('<id>', 'job id (ft-...)').option('--json', 'print JSON')).action(
    async (id: string, flags: CommonFlags) => {
      await withApi(flags, async (transport, keySource) => {
        const job = await getJob(transport, id, { keySource });
        if (flags.json) printJson(job);
        else print(jobDetails(job));
        process.exitCode = EXIT_OK;
      });
    },
  );

  addApiOptions(finetune.command('events').description("List a job's events").argument('<id>', 'job id (ft-...)').option('--json', 'print JSON')).action(
    async (id: string, flags: CommonFlags) => {
      await withApi(flags, async (transport, keySource) => {
        const events = await listEvents(transport, id, { keySource });
        if (flags.json) printJson(events);
        else print(events.length === 0 ? `no events for ${id} yet` : events.map(eventLine).join('\n'));
        process.exitCode = EXIT_OK;
      });
    },
  );

  addApiOptions(finetune.command('cancel').description('Cancel a job that has not finished').argument('<id>', 'job id (ft-...)').option('--json', 'print JSON')).action(
    async (id: string, flags: CommonFlags) => {
      await withApi(flags, async (transport, keySource) => {
        const job = await cancelJob(transport, id, { keySource });
        if (flags.json) printJson(job);
        else print(`cancellation requested for ${job.id} (status ${job.status}); \`tether finetune wait ${job.id}\` follows it to cancelled`);
        process.exitCode = EXIT_OK;
      });
    },
  );
}

function registerWait(finetune: Command): void {
  addApiOptions(
    finetune
      .command('wait')
      .description('Poll a job until it completes, fails or is cancelled (exit 0 only when completed)')
      .argument('<id>', 'job id (ft-...)')
      .option('--interval <seconds>', 'between polls', positiveSeconds('--interval'), 10)
      .option('--timeout <seconds>', 'give up after this long', positiveSeconds('--timeout'))
      .option('--json', 'print the final job as JSON'),
  ).action(async (id: string, flags: WaitFlags) => {
    const live = !flags.json && process.stderr.isTTY;
    await withApi(flags, async (transport, keySource) => {
      const job = await waitForJob(transport, id, {
        keySource,
        intervalMs: flags.interval * 1000,
        ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout * 1000 } : {}),
        onProgress: ({ job: current, newEvents, statusChanged }) => {
          if (!live) return;
          if (statusChanged) printErr(`${current.id}: ${current.status}\n`);
          for (const event of newEvents) printErr(`  ${eventLine(event)}\n`);
        },
      });
      if (flags.json) printJson(job);
      else print(`${job.id}: ${job.status}${job.status === 'completed' && job.model_output_name ? ` (model ${job.model_output_name})` : ''}`);
      process.exitCode = job.status === 'completed' ? EXIT_OK : EXIT_FINDING;
    });
  });
}

export function registerFinetune(program: Command): void {
  const finetune = program
    .command('finetune')
    .description('Upload fine-tuning files (validated first) and manage fine-tuning jobs')
    .addHelpText('after', '\nKey and URL: TOGETHER_API_KEY / TOGETHER_BASE_URL, or --api-key / --base-url.');
  registerUpload(finetune);
  registerCreate(finetune);
  registerReads(finetune);
  registerWait(finetune);
}
