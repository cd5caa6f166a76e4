// Benchmark of `tether validate` against the together-ai SDK's own file check (together-ai/lib/check-file).
//
//   npx tsx bench/validate.ts [--runs N] [--keep] [--no-2gb] [--source] [--quick]
//                             [--conv-mb N] [--short-lines N] [--model-mb N] [--parquet-mb N]
//
// Generates, under bench/.data/validate/ (git-ignored): a file of ~1 KB conversational lines (--conv-mb, default
// 200), a file of short lines (--short-lines, default 1,000,000), a ~2 GB file (memory must stay flat; not with
// --no-2gb), a slice of ~1 KB lines for --model (--model-mb, default 20) and a pre-tokenized Parquet file
// (--parquet-mb, default 50). --quick: 100 MB, 500,000 short lines, no 2 GB file, 2 runs. Builds tether (tsc into
// bench/.data/validate/dist, the form an installed package runs; --source runs bin/tether.js through tsx
// instead), then measures, in the same run:
//   - `tether validate FILE --json` as a process, and the SDK's checkFile() as a process, on both line shapes:
//     wall time (MB/s), peak RSS (/usr/bin/time) and their ratio (processRatio);
//   - validateFile() inside a process (the same code without CLI start-up), and checkFile() the same way;
//   - `tether validate FILE.parquet` (and with --model) on the Parquet file;
//   - `tether validate --model ID` on the slice: the default (the byte bound settles what fits; the rest is
//     tokenized) and --exact-tokens (every example tokenized), against the way --model counted before (every
//     example's chat template rendered and tokenized in turn) run in-process on a smaller part of the slice.
// Best wall time of N runs (the machine is shared), highest RSS. Deletes the generated files at the end
// unless --keep. Progress goes to stderr; the last line of stdout is one JSON object with every figure.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// A folder of its own: other benchmarks share bench/.data.
const DATA = join(ROOT, 'bench', '.data', 'validate');
const DIST = join(DATA, 'dist');
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const QUICK = flag('--quick');
const numberArg = (name: string, fallback: number): number => (args.includes(name) ? Math.max(1, Number(args[args.indexOf(name) + 1]) || fallback) : fallback);
const RUNS = numberArg('--runs', QUICK ? 2 : 3);
const KEEP = flag('--keep');
const WITH_2GB = !flag('--no-2gb') && !QUICK;
const FROM_SOURCE = flag('--source');
const CONV_MB = numberArg('--conv-mb', QUICK ? 100 : 200);
const SHORT_LINES = numberArg('--short-lines', QUICK ? 500_000 : 1_000_000);
const MODEL_MB = numberArg('--model-mb', 20);
const PARQUET_MB = numberArg('--parquet-mb', QUICK ? 30 : 50);
/** The slice the old way of counting (render every example) runs on: it is ~10x slower. */
const BASELINE_MB = Math.min(2, MODEL_MB);

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const LOAD_AT_START = Number((loadavg()[0] ?? 0).toFixed(2));

// ---------------------------------------------------------------------------------------------- data

/** A small deterministic PRNG, so every run checks the same bytes. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a model data answer question request token value system user assistant explain how why when ' +
  'fine tune train example context length batch rate limit retry error quickly because therefore ' +
  'however naïve café résumé 東京 データ 🎉 👍 "quoted" back\\slash tab\tinside new\nline'
).split(' ');

function sentence(random: () => number, min: number, max: number): string {
  const n = min + Math.floor(random() * (max - min + 1));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]!);
  return out.join(' ');
}

/** ~1 KB: a system prompt and one to three user/assistant turns. */
function conversationLine(random: () => number): string {
  const messages = [{ role: 'system', content: sentence(random, 6, 14) }];
  const turns = 1 + Math.floor(random() * 3);
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: sentence(random, 8, 26) });
    messages.push({ role: 'assistant', content: sentence(random, 18, 56) });
  }
  return JSON.stringify({ messages });
}

/** ~160 B: one user question and one answer. */
function shortLine(random: () => number): string {
  return JSON.stringify({ messages: [{ role: 'user', content: sentence(random, 3, 6) }, { role: 'assistant', content: sentence(random, 5, 10) }] });
}

async function writeLines(path: string, line: () => string, done: (bytes: number, lines: number) => boolean): Promise<{ bytes: number; lines: number }> {
  const out = createWriteStream(path);
  let bytes = 0;
  let lines = 0;
  let batch: string[] = [];
  while (!done(bytes, lines)) {
    const text = `${line()}\n`;
    bytes += Buffer.byteLength(text);
    lines++;
    batch.push(text);
    if (batch.length === 2000) {
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch = [];
    }
  }
  out.end(batch.join(''));
  await once(out, 'finish');
  return { bytes, lines };
}

async function repeatFile(source: string, target: string, times: number): Promise<void> {
  const out = createWriteStream(target);
  for (let i = 0; i < times; i++) {
    for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'finish');
}

function lineCount(path: string): number {
  const result = spawnSync('wc', ['-l', path], { encoding: 'utf8' });
  return Number(result.stdout.trim().split(/\s+/)[0]);
}

interface DataFile {
  name: string;
  path: string;
  bytes: number;
  lines: number;
}

async function generate(): Promise<Record<string, DataFile>> {
  mkdirSync(DATA, { recursive: true });
  const files: Record<string, DataFile> = {};
  const make = async (name: string, file: string, build: (path: string) => Promise<unknown>): Promise<void> => {
    const path = join(DATA, file);
    if (!existsSync(path)) {
      log(`generating ${file}…`);
      await build(path);
    }
    files[name] = { name, path, bytes: statSync(path).size, lines: lineCount(path) };
  };
  await make('conversational_1kb', `conv-${CONV_MB}mb.jsonl`, (p) => writeLines(p, ((r) => () => conversationLine(r))(prng(1)), (bytes) => bytes >= CONV_MB * 2 ** 20));
  await make('short_lines', `short-${SHORT_LINES}.jsonl`, (p) => writeLines(p, ((r) => () => shortLine(r))(prng(2)), (_, lines) => lines >= SHORT_LINES));
  await make('model_slice', `conv-${MODEL_MB}mb.jsonl`, (p) => writeLines(p, ((r) => () => conversationLine(r))(prng(3)), (bytes) => bytes >= MODEL_MB * 2 ** 20));
  await make('baseline_slice', `conv-${BASELINE_MB}mb.jsonl`, (p) => writeLines(p, ((r) => () => conversationLine(r))(prng(3)), (bytes) => bytes >= BASELINE_MB * 2 ** 20));
  await make('parquet', `tokenized-${PARQUET_MB}mb.parquet`, (p) => writeParquet(p, PARQUET_MB * 2 ** 20));
  if (WITH_2GB) await make('conversational_2gb', 'conv-2gb.jsonl', (p) => repeatFile(files.conversational_1kb!.path, p, 10));
  return files;
}

/**
 * A pre-tokenized Parquet file of about `bytes` (input_ids int32, attention_mask, labels with the first third
 * masked), rows of 256-2048 tokens below Llama 3's vocabulary, in row groups of 500 rows, written with
 * hyparquet-writer (the devDependency the tests make fixtures with) one row group at a time.
 */
async function writeParquet(path: string, bytes: number): Promise<void> {
  const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
  const list = (name: string): Record<string, unknown>[] => [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT32', repetition_type: 'REQUIRED' },
  ];
  const schema = [{ name: 'root', num_children: 3 }, ...list('input_ids'), ...list('attention_mask'), ...list('labels')];
  // hyparquet-writer's types do not describe an explicit nested schema; its runtime takes one.
  const writer = new ParquetWriter({ writer: fileWriter(path), schema } as unknown as ConstructorParameters<typeof ParquetWriter>[0]);
  const random = prng(4);
  let written = 0;
  while (written < bytes) {
    const ids: number[][] = [];
    for (let row = 0; row < 500; row++) {
      const n = 256 + Math.floor(random() * 1793);
      ids.push(Array.from({ length: n }, () => Math.floor(random() * 128000)));
      written += n * 9; // three int32 columns, plus a little encoding
    }
    await writer.write({
      columnData: [
        { name: 'input_ids', data: ids },
        { name: 'attention_mask', data: ids.map((r) => r.map(() => 1)) },
        { name: 'labels', data: ids.map((r) => r.map((id, i) => (i < r.length / 3 ? -100 : id))) },
      ],
      rowGroupSize: 500,
    } as unknown as Parameters<typeof writer.write>[0]);
  }
  await writer.finish();
}

// ------------------------------------------------------------------------------------------ measuring

interface Run {
  seconds: number;
  rssMB: number;
  /** User + system CPU seconds of the whole process (all its threads), or null without /usr/bin/time. */
  cpuSeconds: number | null;
  stdout: string;
}

const HAVE_TIME = existsSync('/usr/bin/time');

/** Runs a command; wall time around the process, peak RSS from /usr/bin/time (or polled VmHWM). */
async function measure(command: string, commandArgs: string[]): Promise<Run> {
  const rssFile = join(DATA, 'rss.txt');
  const argv = HAVE_TIME ? ['/usr/bin/time', '-f', '%M %U %S', '-o', rssFile, command, ...commandArgs] : [command, ...commandArgs];
  const started = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let stdout = '';
  let stderr = '';
  let polledKb = 0;
  const poll = HAVE_TIME
    ? undefined
    : setInterval(() => {
        try {
          const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (match) polledKb = Math.max(polledKb, Number(match[1]));
        } catch {
          // the process has exited
        }
      }, 20);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (poll) clearInterval(poll);
  if (code !== 0 && code !== 1) throw new Error(`${command} ${commandArgs.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`);
  const [rssKb, user, system] = HAVE_TIME ? (readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number) : [polledKb];
  const cpuSeconds = user !== undefined && system !== undefined ? Number((user + system).toFixed(2)) : null;
  return { seconds, rssMB: Math.round((rssKb ?? 0) / 1024), cpuSeconds, stdout };
}

interface Figure {
  mbPerSecond: number;
  seconds: number;
  peakRssMB: number;
  /**
   * Least CPU seconds (user + system, all threads) of the runs: unlike wall time, barely moved by other processes
   * competing for the cores, so the CPU ratio is the steadier comparison on a shared machine.
   */
  cpuSeconds: number | null;
  valid?: boolean;
}

async function best(label: string, bytes: number, command: string, commandArgs: string[], inProcess = false): Promise<Figure> {
  let figure: Figure | undefined;
  for (let i = 0; i < RUNS; i++) {
    const run = await measure(command, commandArgs);
    let seconds = run.seconds;
    let valid: boolean | undefined;
    if (inProcess) {
      const reported = JSON.parse(run.stdout.trim().split('\n').pop()!) as { seconds: number; valid: boolean };
      seconds = reported.seconds;
      valid = reported.valid;
    } else {
      valid = (JSON.parse(run.stdout) as { valid: boolean }).valid;
    }
    const candidate = { mbPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)), seconds: Number(seconds.toFixed(3)), peakRssMB: run.rssMB, cpuSeconds: run.cpuSeconds, valid };
    const cpu = (a: number | null, b: number | null | undefined): number | null => (a === null ? (b ?? null) : b === null || b === undefined ? a : Math.min(a, b));
    if (figure === undefined || candidate.seconds < figure.seconds) {
      figure = { ...candidate, peakRssMB: Math.max(candidate.peakRssMB, figure?.peakRssMB ?? 0), cpuSeconds: cpu(candidate.cpuSeconds, figure?.cpuSeconds) };
    } else {
      figure.peakRssMB = Math.max(figure.peakRssMB, candidate.peakRssMB);
      figure.cpuSeconds = cpu(figure.cpuSeconds, candidate.cpuSeconds);
    }
  }
  log(`${label}: ${figure!.mbPerSecond} MB/s (${figure!.seconds} s, ${figure!.cpuSeconds ?? '?'} s CPU), peak RSS ${figure!.peakRssMB} MB`);
  return figure!;
}

// --------------------------------------------------------------------------------------------- tether

function build(): { cli: string[]; library: string } {
  if (FROM_SOURCE) return { cli: [join(ROOT, 'bin', 'tether.js')], library: join(ROOT, 'src', 'datasets', 'index.ts') };
  log('building tether into bench/.data/validate/dist (tsc)…');
  // tsc emits even when files outside src/datasets have type errors; the CLI is then run from the output.
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', DIST], { stdio: 'ignore' });
  const main = join(DIST, 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('the build produced no dist/cli/main.js; run with --source');
  // The catalog snapshot is read relative to the compiled module, as in an installed package.
  mkdirSync(join(DATA, 'data'), { recursive: true });
  copyFileSync(join(ROOT, 'data', 'together-models.json'), join(DATA, 'data', 'together-models.json'));
  return { cli: [main], library: join(DIST, 'datasets', 'index.js') };
}

const TETHER_IN_PROCESS = `
const [, library, file] = process.argv;
const { validateFile } = await import(library);
const started = performance.now();
const report = await validateFile(file);
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, valid: report.valid }));
`;

const SDK_IN_PROCESS = `
const { checkFile } = require('together-ai/lib/check-file');
const started = performance.now();
checkFile(process.argv[1]).then((report) => {
  console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, valid: report.is_check_passed }));
});
`;

/** The way --model counted before: every valid example's chat template rendered and tokenized, one after another. */
const FULL_RENDER_BASELINE = `
const [, tokensModule, file, model] = process.argv;
const { countChatTokens, loadTokenizer } = await import(tokensModule);
const { readFileSync } = await import('node:fs');
await loadTokenizer('llama3_1');
const started = performance.now();
let tokens = 0;
for (const line of readFileSync(file, 'utf8').split('\\n')) {
  if (line === '') continue;
  const { messages } = JSON.parse(line);
  tokens += (await countChatTokens(model, messages, { addGenerationPrompt: false })).tokens;
}
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, valid: tokens > 0 }));
`;

const ratio = (ours: Figure | undefined, theirs: Figure | undefined): number | null =>
  ours && theirs ? Number((ours.mbPerSecond / theirs.mbPerSecond).toFixed(2)) : null;

async function main(): Promise<void> {
  const files = await generate();
  const { cli, library } = build();
  const tokensModule = library.replace(/datasets([/\\])index\.(js|ts)$/, 'tokens$1index.$2');
  const node = process.execPath;
  const tsxArgs = FROM_SOURCE ? ['--import', 'tsx'] : [];
  const results: Record<string, Record<string, Figure>> = {};
  try {
    for (const name of ['conversational_1kb', 'short_lines', 'conversational_2gb']) {
      const file = files[name];
      if (file === undefined) continue;
      log(`\n${file.name}: ${(file.bytes / 1e6).toFixed(0)} MB, ${file.lines} lines`);
      const entry: Record<string, Figure> = {};
      // Process against process, alternating within the run so both see the same machine load.
      entry.tether_process = await best('tether validate (process, wall)', file.bytes, node, [...cli, 'validate', file.path, '--json']);
      if (file.name !== 'conversational_2gb') {
        entry.sdk_process = await best('together-ai checkFile() (process, wall)', file.bytes, node, ['-e', SDK_IN_PROCESS, file.path]);
        entry.tether_process_one_worker = await best('tether validate --threads 1 (process, wall)', file.bytes, node, [...cli, 'validate', file.path, '--json', '--threads', '1']);
        entry.sdk_in_process = await best('together-ai checkFile() in-process', file.bytes, node, ['-e', SDK_IN_PROCESS, file.path], true);
      }
      entry.tether_in_process = await best('validateFile() in-process', file.bytes, node, [...tsxArgs, '--input-type=module', '-e', TETHER_IN_PROCESS, library, file.path], true);
      results[file.name] = entry;
    }

    const parquet = files.parquet!;
    log(`\nparquet: ${(parquet.bytes / 1e6).toFixed(0)} MB`);
    const parquetFigures = {
      tether_process: await best('tether validate FILE.parquet (process, wall)', parquet.bytes, node, [...cli, 'validate', parquet.path, '--json']),
      tether_process_model: await best('tether validate FILE.parquet --model (process, wall)', parquet.bytes, node, [...cli, 'validate', parquet.path, '--json', '--model', MODEL]),
    };

    const slice = files.model_slice!;
    const small = files.baseline_slice!;
    log(`\n--model ${MODEL} on ${(slice.bytes / 1e6).toFixed(0)} MB`);
    const model = await best('tether validate --model (process, wall)', slice.bytes, node, [...cli, 'validate', slice.path, '--json', '--model', MODEL]);
    const modelExact = await best('tether validate --model --exact-tokens (process, wall)', slice.bytes, node, [...cli, 'validate', slice.path, '--json', '--model', MODEL, '--exact-tokens']);
    const baseline = await best(
      `before: every example rendered and tokenized in turn (in-process, ${(small.bytes / 1e6).toFixed(0)} MB)`,
      small.bytes,
      node,
      [...tsxArgs, '--input-type=module', '-e', FULL_RENDER_BASELINE, tokensModule, small.path, MODEL],
      true,
    );

    const processRatio = {
      conversational_1kb: ratio(results.conversational_1kb?.tether_process, results.conversational_1kb?.sdk_process),
      short_lines: ratio(results.short_lines?.tether_process, results.short_lines?.sdk_process),
    };
    const cpuRatio = (name: string): number | null => {
      const ours = results[name]?.tether_process?.cpuSeconds;
      const theirs = results[name]?.sdk_process?.cpuSeconds;
      return ours && theirs ? Number((theirs / ours).toFixed(2)) : null;
    };
    /** The SDK's CPU time over tether's, whole processes: what the speed ratio is when each has the cores it uses. */
    const processCpuRatio = { conversational_1kb: cpuRatio('conversational_1kb'), short_lines: cpuRatio('short_lines') };
    const inProcessRatio = {
      conversational_1kb: ratio(results.conversational_1kb?.tether_in_process, results.conversational_1kb?.sdk_in_process),
      short_lines: ratio(results.short_lines?.tether_in_process, results.short_lines?.sdk_in_process),
    };
    const peakRss = Math.max(...Object.values(results).flatMap((r) => [r.tether_process!.peakRssMB, r.tether_process_one_worker?.peakRssMB ?? 0]));
    const summary = {
      machine: { cpus: availableParallelism(), loadAverageAtStart: LOAD_AT_START, loadAverageAtEnd: Number((loadavg()[0] ?? 0).toFixed(2)), node: process.version, tether: FROM_SOURCE ? 'source (tsx)' : 'compiled (tsc)' },
      runs: RUNS,
      files: Object.fromEntries(Object.values(files).map((f) => [f.name, { bytes: f.bytes, lines: f.lines }])),
      results,
      processRatio,
      processCpuRatio,
      inProcessRatio,
      parquet: { file: 'parquet', ...parquetFigures },
      model: {
        id: MODEL,
        file: 'model_slice',
        default: model,
        exactTokens: modelExact,
        fullRenderBaseline: { file: 'baseline_slice', ...baseline },
        /** MB per CPU second of the whole process: what one free core gives, whatever else the machine runs. */
        cpuMbPerSecond: model.cpuSeconds ? Number((slice.bytes / 1e6 / model.cpuSeconds).toFixed(1)) : null,
        speedupVsFullRender: ratio(model, baseline),
        exactSpeedupVsFullRender: ratio(modelExact, baseline),
      },
      goals: {
        process_ratio_5x_both_shapes: (processRatio.conversational_1kb ?? 0) >= 5 && (processRatio.short_lines ?? 0) >= 5,
        model_20_mb_per_s: model.mbPerSecond >= 20,
        model_peak_rss_200mb: model.peakRssMB <= 200,
        model_10x_faster_than_full_render: (ratio(model, baseline) ?? 0) >= 10,
        peak_rss_mb_process: peakRss,
      },
    };
    console.log(JSON.stringify(summary));
  } finally {
    if (!KEEP) {
      rmSync(DATA, { recursive: true, force: true });
      log('deleted the generated files (use --keep to keep them)');
    }
  }
}

await main();
