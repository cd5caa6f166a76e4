// Benchmark of `tether validate` against the together-ai SDK's own file check (together-ai/lib/check-file).
//
//   npx tsx bench/validate.ts [--runs N] [--keep] [--no-2gb] [--source]
//
// Generates, under bench/.data/validate/ (git-ignored): a ~200 MB file of ~1 KB conversational lines, a file of
// 1,000,000 short lines, a ~2 GB file (memory must stay flat) and a 20 MB slice for the --model run. Builds
// tether (tsc into bench/.data/validate/dist, the form an installed package runs; --source runs bin/tether.js through
// tsx instead), then measures, in the same run:
//   - `tether validate FILE --json` as a process: wall time (MB/s) and peak RSS (/usr/bin/time), with the
//     default threads (none when the machine is busy) and with --threads 1;
//   - validateFile() inside a process (the same code without CLI start-up), and the SDK's checkFile() the
//     same way: in-process time, and the process's peak RSS;
//   - `tether validate --model ID` on the slice (token counting is far slower than parsing).
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
const RUNS = args.includes('--runs') ? Math.max(1, Number(args[args.indexOf('--runs') + 1]) || 1) : 3;
const KEEP = flag('--keep');
const WITH_2GB = !flag('--no-2gb');
const FROM_SOURCE = flag('--source');

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
  await make('conversational_1kb', 'conv-200mb.jsonl', (p) => writeLines(p, ((r) => () => conversationLine(r))(prng(1)), (bytes) => bytes >= 200 * 2 ** 20));
  await make('short_1m', 'short-1m.jsonl', (p) => writeLines(p, ((r) => () => shortLine(r))(prng(2)), (_, lines) => lines >= 1_000_000));
  await make('slice_20mb', 'conv-20mb.jsonl', (p) => writeLines(p, ((r) => () => conversationLine(r))(prng(3)), (bytes) => bytes >= 20 * 2 ** 20));
  if (WITH_2GB) await make('conversational_2gb', 'conv-2gb.jsonl', (p) => repeatFile(files.conversational_1kb!.path, p, 10));
  return files;
}

// ------------------------------------------------------------------------------------------ measuring

interface Run {
  seconds: number;
  rssMB: number;
  stdout: string;
}

const HAVE_TIME = existsSync('/usr/bin/time');

/** Runs a command; wall time around the process, peak RSS from /usr/bin/time (or polled VmHWM). */
async function measure(command: string, commandArgs: string[]): Promise<Run> {
  const rssFile = join(DATA, 'rss.txt');
  const argv = HAVE_TIME ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, command, ...commandArgs] : [command, ...commandArgs];
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
  const rssKb = HAVE_TIME ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : polledKb;
  return { seconds, rssMB: Math.round(rssKb / 1024), stdout };
}

interface Figure {
  mbPerSecond: number;
  seconds: number;
  peakRssMB: number;
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
    const candidate = { mbPerSecond: Math.round(bytes / 1e6 / seconds), seconds: Number(seconds.toFixed(3)), peakRssMB: run.rssMB, valid };
    if (figure === undefined || candidate.seconds < figure.seconds) figure = { ...candidate, peakRssMB: Math.max(candidate.peakRssMB, figure?.peakRssMB ?? 0) };
    else figure.peakRssMB = Math.max(figure.peakRssMB, candidate.peakRssMB);
  }
  log(`${label}: ${figure!.mbPerSecond} MB/s (${figure!.seconds} s), peak RSS ${figure!.peakRssMB} MB`);
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

async function main(): Promise<void> {
  const files = await generate();
  const { cli, library } = build();
  const node = process.execPath;
  const tsxArgs = FROM_SOURCE ? ['--import', 'tsx'] : [];
  const results: Record<string, Record<string, Figure>> = {};
  try {
    for (const file of Object.values(files)) {
      if (file.name === 'slice_20mb') continue;
      log(`\n${file.name}: ${(file.bytes / 1e6).toFixed(0)} MB, ${file.lines} lines`);
      const entry: Record<string, Figure> = {};
      entry.tether_cli = await best('tether validate (process, wall)', file.bytes, node, [...cli, 'validate', file.path, '--json']);
      if (file.name !== 'conversational_2gb') {
        // The default skips workers on a busy machine; this forces one, to show what it brings here and now.
        entry.tether_cli_one_worker = await best('tether validate --threads 1 (process, wall)', file.bytes, node, [...cli, 'validate', file.path, '--json', '--threads', '1']);
      }
      entry.tether_in_process = await best('validateFile() in-process', file.bytes, node, [...tsxArgs, '--input-type=module', '-e', TETHER_IN_PROCESS, library, file.path], true);
      if (file.name !== 'conversational_2gb') {
        entry.sdk_in_process = await best('together-ai checkFile() in-process', file.bytes, node, ['-e', SDK_IN_PROCESS, file.path], true);
        const wall = await measure(node, ['-e', SDK_IN_PROCESS, file.path]);
        entry.sdk_process = { mbPerSecond: Math.round(file.bytes / 1e6 / wall.seconds), seconds: Number(wall.seconds.toFixed(3)), peakRssMB: wall.rssMB };
      }
      results[file.name] = entry;
    }
    const slice = files.slice_20mb!;
    log(`\n--model ${MODEL} on ${(slice.bytes / 1e6).toFixed(0)} MB`);
    const model = await best('tether validate --model (process, wall)', slice.bytes, node, [...cli, 'validate', slice.path, '--json', '--model', MODEL]);

    const ratio = (name: string, kind: 'in_process' | 'process'): number | null => {
      const r = results[name];
      if (!r?.sdk_in_process) return null;
      const ours = kind === 'in_process' ? r.tether_in_process! : r.tether_cli!;
      const theirs = kind === 'in_process' ? r.sdk_in_process : r.sdk_process!;
      return Number((ours.mbPerSecond / theirs.mbPerSecond).toFixed(2));
    };
    const peakRss = Math.max(...Object.values(results).flatMap((r) => [r.tether_cli!.peakRssMB, r.tether_cli_one_worker?.peakRssMB ?? 0, r.tether_in_process!.peakRssMB]));
    const peakRssInProcess = Math.max(...Object.values(results).map((r) => r.tether_in_process!.peakRssMB));
    const summary = {
      machine: { cpus: availableParallelism(), loadAverageAtStart: LOAD_AT_START, loadAverageAtEnd: Number((loadavg()[0] ?? 0).toFixed(2)), node: process.version, tether: FROM_SOURCE ? 'source (tsx)' : 'compiled (tsc)' },
      runs: RUNS,
      files: Object.fromEntries(Object.values(files).map((f) => [f.name, { bytes: f.bytes, lines: f.lines }])),
      results,
      model: { id: MODEL, file: 'slice_20mb', ...model },
      speedup_vs_sdk: {
        conversational_1kb: { in_process: ratio('conversational_1kb', 'in_process'), process: ratio('conversational_1kb', 'process') },
        short_1m: { in_process: ratio('short_1m', 'in_process'), process: ratio('short_1m', 'process') },
      },
      goals: {
        five_x_sdk_in_process: (ratio('conversational_1kb', 'in_process') ?? 0) >= 5 && (ratio('short_1m', 'in_process') ?? 0) >= 5,
        five_x_sdk_process: (ratio('conversational_1kb', 'process') ?? 0) >= 5 && (ratio('short_1m', 'process') ?? 0) >= 5,
        mb_per_s_375_on_1kb_process: results.conversational_1kb!.tether_cli!.mbPerSecond >= 375,
        mb_per_s_375_on_1kb_in_process: results.conversational_1kb!.tether_in_process!.mbPerSecond >= 375,
        peak_rss_100mb_process: peakRss <= 100,
        peak_rss_100mb_in_process: peakRssInProcess <= 100,
        peak_rss_mb_process: peakRss,
        peak_rss_mb_in_process: peakRssInProcess,
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
