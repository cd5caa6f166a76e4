// `tether gateway` as a user runs it: with no TOGETHER_API_KEY it serves from the built-in emulator and says so on
// its first line; bad flags and configs are usage errors (exit 2) that name the problem.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = new URL('../../bin/tether.js', import.meta.url).pathname;

function envWithoutKey(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TOGETHER_API_KEY;
  delete env.TOGETHER_BASE_URL;
  // The gateway journals errors and saves its state under $TETHER_HOME: keep that out of the real home.
  env.TETHER_HOME = join(tmpdir(), `tether-gateway-cli-${process.pid}`);
  return env;
}

describe('tether gateway (CLI)', () => {
  test('each request gets one JSON access line on stderr, with its request id, written by exit', async () => {
    const env = { ...envWithoutKey(), TOGETHER_API_KEY: 'tg-cli-log-secret-0001', TOGETHER_BASE_URL: 'http://127.0.0.1:9/v1' };
    const child = spawn(process.execPath, [BIN, 'gateway', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no first line within 20 s')), 20_000);
        createInterface({ input: child.stdout }).once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`exited ${String(code)} before printing`)));
      });
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(first)?.[1];
      assert.ok(url, first);
      // Nothing listens upstream: the answer is a classified 502 after the retries, and still one access line.
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-log-1' },
        body: JSON.stringify({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
      });
      await response.arrayBuffer();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const lines = stderr.split('\n').filter((line) => line.includes('"e2e-log-1"'));
      assert.equal(lines.length, 1, stderr);
      const line = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.equal(line['level'], 30);
      assert.equal(typeof line['time'], 'number');
      assert.equal(line['name'], 'tether-gateway');
      assert.equal(line['msg'], 'request');
      assert.equal(line['method'], 'POST');
      assert.equal(line['path'], '/v1/chat/completions');
      assert.equal(line['status'], response.status);
      assert.equal(line['model'], 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
      assert.ok(!stderr.includes('tg-cli-log-secret-0001'), 'the upstream key is not logged');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('no TOGETHER_API_KEY: the first line says the upstream is the built-in emulator, and it answers', async () => {
    const child = spawn(process.execPath, [BIN, 'gateway', '--port', '0', '--log-level', 'silent'], { env: envWithoutKey(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no first line within 20 s')), 20_000);
        lines.once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`exited ${String(code)} before printing`)));
      });
      const match = /^tether gateway: (http:\/\/127\.0\.0\.1:\d+\/v1) — no TOGETHER_API_KEY, so upstream is the built-in emulator at http:\/\/127\.0\.0\.1:\d+\/v1/.exec(first);
      assert.ok(match, first);
      const response = await fetch(`${match[1]}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
      });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { object: string }).object, 'chat.completion');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a public --host without client tokens is refused (exit 2)', () => {
    const result = spawnSync(process.execPath, [BIN, 'gateway', '--host', '0.0.0.0', '--port', '0'], { env: { ...envWithoutKey(), TOGETHER_API_KEY: 'tg-test' }, encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0 without client tokens/);
    assert.ok(!result.stderr.includes('tg-test'));
  });

  test('an invalid config file is a usage error naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-gw-cli-'));
    try {
      const file = join(dir, 'gateway.yaml');
      writeFileSync(file, 'limits:\n  maxBodyBytes: tiny\n');
      const result = spawnSync(process.execPath, [BIN, 'gateway', '--config', file, '--port', '0'], { env: envWithoutKey(), encoding: 'utf8', timeout: 20_000 });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /`limits\.maxBodyBytes`/);
      assert.ok(!result.stderr.includes('    at '), 'no stack trace');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
