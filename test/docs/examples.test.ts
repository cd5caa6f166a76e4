// Every command example in README.md and docs/*.md runs here, against emulators the pages start themselves, and
// prints what the page says (rules in ./examples.ts). ```ts examples run too, importing `tether-together` from this
// checkout's src/. So the docs cannot drift from the code: a change that alters an example's output fails this test.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeBlocks, compareOutput, consoleCommands, mapPorts } from './examples.js';
import type { ConsoleCommand } from './examples.js';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const FIXTURES = join(ROOT, 'test', 'docs', 'fixtures');
const PAGE_TIMEOUT_MS = 240_000;
/** tsx's loader by path: the examples run with the page's scratch directory as their working directory. */
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** Pages run three at a time: most of a page's time is waiting (CLI start-up, servers starting, polls). */
const CONCURRENCY = 3;

const allPages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].sort();
/** DOCS_PAGES=docs/gateway.md,README.md runs only those (while writing a page). */
const only = process.env['DOCS_PAGES']?.split(',').filter(Boolean);
const pages = only ? allPages.filter((p) => only.includes(p)) : allPages;

/**
 * Where ```ts examples are written: inside the checkout, so that `openai` resolves from its node_modules, but under
 * artifacts/, which git, tsc and eslint leave alone (a run killed before cleaning up leaves no stray .ts behind them).
 */
const EXAMPLES_DIR = join(ROOT, 'artifacts', `docs-examples-${process.pid}`);
mkdirSync(EXAMPLES_DIR, { recursive: true });
writeFileSync(
  join(EXAMPLES_DIR, 'tsconfig.json'),
  JSON.stringify({
    extends: join(ROOT, 'tsconfig.json'),
    compilerOptions: {
      baseUrl: ROOT,
      paths: {
        'tether-together': ['src/index.ts'],
        'tether-together/emulator': ['src/emulator/index.ts'],
        'tether-together/gateway': ['src/gateway/index.ts'],
      },
      noEmit: true,
    },
    include: ['./*.ts'],
  }),
);
/**
 * Every ```ts example, type-checked as a user's file would be (strict, `tether-together` mapped to src/), in one tsc
 * run started at once, alongside the pages.
 */
function typeCheckExamples(): Promise<{ code: number | null; output: string }> {
  const dir = join(EXAMPLES_DIR, 'typecheck');
  mkdirSync(dir, { recursive: true });
  let count = 0;
  for (const page of pages) {
    for (const block of codeBlocks(readFileSync(join(ROOT, page), 'utf8'))) {
      if (block.lang !== 'ts') continue;
      writeFileSync(join(dir, `${basename(page, '.md')}-line-${block.line}.ts`), block.code);
      count++;
    }
  }
  if (count === 0) return Promise.resolve({ code: 0, output: '' });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: join(EXAMPLES_DIR, 'tsconfig.json'), include: ['./*.ts', join(ROOT, 'src', '**', '*.d.ts')] }),
  );
  return new Promise((resolve) => {
    const tsc = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    tsc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    tsc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    tsc.on('close', (code) => resolve({ code, output }));
  });
}

const BIN_DIR = mkdtempSync(join(tmpdir(), 'tether-docs-bin-'));
writeFileSync(join(BIN_DIR, 'tether'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'tether.js')}" "$@"\n`);
chmodSync(join(BIN_DIR, 'tether'), 0o755);
after(() => {
  rmSync(EXAMPLES_DIR, { recursive: true, force: true });
  rmSync(BIN_DIR, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Step {
  /** What the page shows, for messages. */
  shown: string;
  line: number;
  script: string;
  expected: string[] | undefined;
  exit: number;
  background: boolean;
}

/** The longest part without `…` of the last line a background command's output is expected to show. */
function readyMark(expected: readonly string[]): string {
  const last = [...expected].reverse().find((l) => l.trim() !== '' && l !== '…') ?? '';
  return last.split('…').reduce((a, b) => (b.length > a.length ? b : a), '').trim();
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `npm start` is this checkout's, wherever the page runs. */
function inCheckout(command: string): string {
  return command.replace(/(^|\s)npm start\b/, `$1npm --prefix ${shellQuote(ROOT)} start`);
}

function commandStep(command: ConsoleCommand, index: number, ports: ReadonlyMap<number, number>): Step {
  const text = inCheckout(mapPorts(command.command, ports));
  const out = `"$OUT/${index}.out"`;
  const expected = command.expected.map((l) => mapPorts(l, ports));
  const script = command.background
    ? // Its own process group (set -m), so that SIGINT at the end reaches npm, sh and node alike. The page goes on
      // once the last line it shows has appeared (its longest literal part), so the server is up for what follows.
      `${text} > ${out} 2> "$OUT/${index}.err" < /dev/null &\necho $! >> "$OUT/bg.pids"\n__wait_for ${out} ${shellQuote(readyMark(expected))}\n`
    : `{ ${text}\n} > ${out} 2>&1 < /dev/null; echo $? > "$OUT/${index}.rc"\n`;
  return { shown: command.command, line: command.line, script, expected, exit: command.exit, background: command.background };
}

function tsStep(code: string, line: number, page: string, index: number, output: string[] | undefined): Step {
  const file = join(EXAMPLES_DIR, `${basename(page, '.md')}-${index}.ts`);
  writeFileSync(file, code);
  return {
    shown: `(the TypeScript example on line ${line})`,
    line,
    script: `{ TSX_TSCONFIG_PATH="${join(EXAMPLES_DIR, 'tsconfig.json')}" timeout 60 "${process.execPath}" --import "${TSX_LOADER}" "${file}"\n} > "$OUT/${index}.out" 2>&1 < /dev/null; echo $? > "$OUT/${index}.rc"\n`,
    expected: output,
    exit: 0,
    background: false,
  };
}

function pageScript(steps: readonly Step[]): string {
  return [
    'set -m',
    '__wait_for() { local n=0; until grep -qF -- "$2" "$1" 2>/dev/null || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done; }',
    '__stop() { for p in $(cat "$OUT/bg.pids" 2>/dev/null); do kill -INT -- "-$p" 2>/dev/null; done; wait; }',
    'trap __stop EXIT',
    ...steps.map((s) => s.script),
  ].join('\n');
}

function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, PAGE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

interface PageRun {
  steps: Step[];
  outDir: string;
  stderr: string;
}

/** Scratch directories of the pages, removed at the end unless DOCS_KEEP is set (to read what a page printed). */
const workDirs: string[] = [];
after(() => {
  if (process.env['DOCS_KEEP']) console.log(`docs examples ran in: ${workDirs.join(' ')}`);
  else for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

async function runPage(page: string): Promise<PageRun | undefined> {
  const blocks = codeBlocks(readFileSync(join(ROOT, page), 'utf8'));
  const ports = new Map([
    [4010, await freePort()],
    [8787, await freePort()],
  ]);
  const steps: Step[] = [];
  blocks.forEach((block, index) => {
    if (block.lang === 'console') for (const command of consoleCommands(block)) steps.push(commandStep(command, steps.length, ports));
    else if (block.lang === 'ts') {
      const next = blocks[index + 1];
      const output = next?.lang === 'text' && next.info === 'output' ? next.code.split('\n').map((l) => mapPorts(l, ports)) : undefined;
      steps.push(tsStep(block.code, block.line, page, steps.length, output));
    }
  });
  if (steps.length === 0) return undefined;
  const work = mkdtempSync(join(tmpdir(), `tether-docs-${basename(page, '.md')}-`));
  workDirs.push(work);
  if (existsSync(FIXTURES)) cpSync(FIXTURES, work, { recursive: true });
  const outDir = join(work, '.out');
  mkdirSync(outDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${BIN_DIR}:${process.env.PATH ?? ''}`,
    OUT: outDir,
    TETHER_HOME: join(work, '.tether'),
    NO_COLOR: '1',
  };
  for (const name of ['TOGETHER_API_KEY', 'TOGETHER_BASE_URL', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'FORCE_COLOR']) delete env[name];
  const { stderr } = await runScript(pageScript(steps), work, env);
  return { steps, outDir, stderr };
}

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Runs `pages` with at most CONCURRENCY at a time; each result is awaited by its own test. */
function schedule(): Map<string, Promise<PageRun | undefined>> {
  const runs = new Map<string, Promise<PageRun | undefined>>();
  let slots = CONCURRENCY;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> => (slots > 0 ? (slots--, Promise.resolve()) : new Promise((resolve) => waiting.push(resolve)));
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };
  // The pages with the most examples first, so that a long page does not start last and end the run late.
  const size = (page: string): number => codeBlocks(readFileSync(join(ROOT, page), 'utf8')).filter((b) => b.lang === 'console' || b.lang === 'ts').length;
  for (const page of [...pages].sort((a, b) => size(b) - size(a))) {
    runs.set(
      page,
      acquire().then(() => runPage(page).finally(release)),
    );
  }
  return runs;
}

const runs = schedule();
const typeCheck = typeCheckExamples();

describe('docs examples', () => {
  test('every ts example type-checks', async () => {
    const { output } = await typeCheck;
    // Errors inside src/ are the project's own type-check's to report (and may be another change in progress).
    const inExamples = output.split('\n').filter((line) => line.includes(`${basename(EXAMPLES_DIR)}/typecheck/`));
    assert.deepEqual(inExamples, []);
  });

  for (const page of pages) {
    test(page, async (t) => {
      const run = await runs.get(page);
      if (run === undefined) return t.skip('no runnable examples');
      const failures: string[] = [];
      run.steps.forEach((step, index) => {
        const output = read(join(run.outDir, `${index}.out`));
        const where = `${page}:${step.line} ${step.shown.split('\n')[0]}`;
        if (output === undefined) {
          failures.push(`${where}: never ran (the page's script stopped before it)\n${run.stderr}`);
          return;
        }
        const lines = output.replace(/\n$/, '').split('\n');
        if (!step.background) {
          const code = Number(read(join(run.outDir, `${index}.rc`)) ?? NaN);
          if (code !== step.exit) failures.push(`${where}: exit ${code}, the page says ${step.exit}\n${output}`);
        }
        if (step.expected !== undefined) {
          const mismatch = compareOutput(step.expected, output === '' ? [] : lines);
          if (mismatch !== undefined) failures.push(`${where}: ${mismatch}\n--- printed:\n${output}`);
        }
      });
      if (failures.length > 0) assert.fail(failures.join('\n\n'));
    });
  }
});
