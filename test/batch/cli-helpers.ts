// Helpers for the batch e2e tests: run `node bin/tether.js …` as a child process against the emulator, build
// input files, and compare outputs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tether.js', import.meta.url));
export const BATCH_MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** `tether run` writes progress files under $TETHER_HOME/runs: tests keep them out of the real home. */
export const TEST_HOME = mkdtempSync(join(tmpdir(), 'tether-e2e-home-'));
process.on('exit', () => rmSync(TEST_HOME, { recursive: true, force: true }));

/** Start the CLI with TOGETHER_API_KEY / TOGETHER_BASE_URL pointing at the emulator. */
export function startCli(args: readonly string[], env: { baseUrl: string; apiKey: string }): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TOGETHER_API_KEY: env.apiKey, TOGETHER_BASE_URL: env.baseUrl, TETHER_HOME: TEST_HOME, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: readonly string[], env: { baseUrl: string; apiKey: string }): Promise<CliResult> {
  return startCli(args, env).done;
}

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tether-e2e-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `n` chat requests `{"custom_id": "req-<i>", "body": …}` with distinct prompts. */
export function writeRequests(path: string, n: number, extra: Record<string, unknown> = {}): void {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      body: { model: BATCH_MODEL, messages: [{ role: 'user', content: `Request ${i}: say something short.` }], max_tokens: 4, ...extra },
    }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

export function customIds(path: string): string[] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as { custom_id: string }).custom_id);
}

/** The resume command the CLI printed (`tether run …`), as arguments for `node bin/tether.js`. */
export function printedResumeArgs(stderr: string): string[] {
  const match = /resume with:\n {2}tether (.+)\n/.exec(stderr);
  if (!match) throw new Error(`no resume command in:\n${stderr}`);
  // The test's paths need no quoting; a quoted argument here would be a bug in the test setup.
  return (match[1] as string).split(' ');
}
