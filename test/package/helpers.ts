// Packing tether-together and installing the tarball into an empty project, as a user would: shared by the pack
// test and bench/package.ts. The project sees only the tarball (and the npm cache or registry for dependencies).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The environment for npm and the installed CLI: no npm lifecycle variables of an enclosing `npm test`, no keys. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_package_|npm_lifecycle_|npm_command$|INIT_CWD$|TOGETHER_|TETHER_|NODE_OPTIONS$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by `timeoutMs`); never rejects on a non-zero exit. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? cleanEnv(), timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function mustRun(command: string, args: readonly string[], options: { cwd: string; timeoutMs?: number }): Promise<Ran> {
  const ran = await run(command, args, options);
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${ran.code}:\n${ran.stdout.slice(-4000)}\n${ran.stderr.slice(-4000)}`);
  return ran;
}

/** `npm pack` of the repository (its prepack builds dist/) into a new temporary folder; the tarball's path. */
export async function packRepo(): Promise<string> {
  const into = mkdtempSync(join(tmpdir(), 'tether-pack-'));
  await mustRun('npm', ['pack', '--pack-destination', into, '--silent'], { cwd: REPO_ROOT, timeoutMs: 240_000 });
  const tarball = readdirSync(into).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${into}`);
  return join(into, tarball);
}

/**
 * An empty project with the tarball installed for production (`--omit=dev`). `ignoreScripts` skips dependencies'
 * install scripts (better-sqlite3's native build: a minute or two here, and nothing the package test uses).
 */
export async function installTarball(tarball: string, options: { ignoreScripts?: boolean } = {}): Promise<string> {
  const project = mkdtempSync(join(tmpdir(), 'tether-consumer-'));
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  const args = ['install', tarball, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', ...(options.ignoreScripts ? ['--ignore-scripts'] : [])];
  await mustRun('npm', args, { cwd: project, timeoutMs: 300_000 });
  return project;
}

/** A TCP port free on 127.0.0.1 just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a long-running command (e.g. `tether emulator`); the caller stops it by its pid. */
export function start(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ChildProcess & { output: () => string } {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-8000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-8000)));
  return Object.assign(child, { output: () => output });
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes. */
export async function waitForHttp(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
