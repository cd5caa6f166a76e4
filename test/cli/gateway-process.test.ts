// `tether gateway` as started from a shell: `npm start -- …` gives the same tree as `npx tether gateway` in a
// user's project (npm → sh → node; in this checkout `npx tether` would resolve the package name, which is not
// `tether`), and `node bin/tether.js gateway`, with the built-in emulator on a port of the user's choosing. Ctrl+C in a terminal sends SIGINT to the whole
// foreground process group: every process of the tree must exit promptly and both ports must be free again.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGatewayService } from '../../src/cli/gateway-service.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const HOME = mkdtempSync(join(tmpdir(), 'tether-gateway-process-'));
after(() => rmSync(HOME, { recursive: true, force: true }));

function envWithoutKey(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TETHER_HOME: HOME };
  delete env.TOGETHER_API_KEY;
  delete env.TOGETHER_BASE_URL;
  return env;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when a listener can bind the port (nothing holds it any more). */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/** Starts `command` in its own process group and resolves once the gateway says it is ready. */
async function startTree(command: string, args: string[]): Promise<{ child: ChildProcess; stdout: () => string }> {
  const child = spawn(command, args, { cwd: ROOT, env: envWithoutKey(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const ready = await waitFor(() => stdout.includes('Ctrl+C to stop') || child.exitCode !== null, 30_000);
  if (!ready || child.exitCode !== null) {
    if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
    assert.fail(`the gateway did not start: ${stdout}\n${stderr}`);
  }
  return { child, stdout: () => stdout };
}

async function chatThrough(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 8 }),
  });
  const text = await response.text();
  if (response.status !== 200) console.error(`chat through the gateway: ${response.status} ${text.slice(0, 500)}`);
  return response.status;
}

describe('the gateway process tree', () => {
  for (const [label, command, args] of [
    ['npm start -- --port N --emulator-port M', 'npm', ['start', '--']],
    ['node bin/tether.js gateway --port N --emulator-port M', process.execPath, ['bin/tether.js', 'gateway']],
  ] as const) {
    test(`${label}: listens where asked, and SIGINT to its process group stops every process and frees both ports`, async () => {
      const [port, emulatorPort] = [await freePort(), await freePort()];
      const { child, stdout } = await startTree(command, [...args, '--port', String(port), '--emulator-port', String(emulatorPort)]);
      try {
        assert.match(stdout(), new RegExp(`tether gateway: http://127\\.0\\.0\\.1:${port}/v1 .* built-in emulator at http://127\\.0\\.0\\.1:${emulatorPort}/v1`));
        assert.equal(await chatThrough(`http://127.0.0.1:${port}/v1`), 200);
        const models = await fetch(`http://127.0.0.1:${emulatorPort}/v1/models`, { headers: { authorization: 'Bearer emulator-key' } });
        assert.equal(models.status, 200);
        await models.arrayBuffer();

        const sentAt = Date.now();
        process.kill(-child.pid!, 'SIGINT');
        assert.ok(await waitFor(() => !groupAlive(child.pid!), 8_000), 'every process of the group exits within 8 s of SIGINT');
        assert.ok(Date.now() - sentAt < 8_000);
        assert.ok(await portIsFree(port), `gateway port ${port} is free again`);
        assert.ok(await portIsFree(emulatorPort), `emulator port ${emulatorPort} is free again`);
      } finally {
        if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
      }
    });
  }

  test('the emulator port comes from the config file (emulator.port), the flag wins over it, and a busy one is named', async () => {
    const [fromFile, fromFlag] = [await freePort(), await freePort()];
    const config = join(HOME, 'gateway.json');
    writeFileSync(config, JSON.stringify({ port: 0, emulator: { port: fromFile } }));
    const env = envWithoutKey();
    const service = await startGatewayService({ configFile: config, env, logLevel: 'silent' });
    try {
      assert.equal(service.emulator?.port, fromFile);
      await assert.rejects(
        startGatewayService({ port: 0, emulatorPort: fromFile, env, logLevel: 'silent' }),
        new RegExp(`built-in emulator's port ${fromFile} is already in use; pass --emulator-port`),
      );
    } finally {
      await service.close();
    }
    const flagged = await startGatewayService({ configFile: config, emulatorPort: fromFlag, env, logLevel: 'silent' });
    try {
      assert.equal(flagged.emulator?.port, fromFlag);
    } finally {
      await flagged.close();
    }
  });

  test("tether emulator: a busy port from the config file is named in the usage error (not the default 4010)", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as { port: number };
    const config = join(HOME, 'emulator.json');
    writeFileSync(config, JSON.stringify({ port }));
    try {
      const failed = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'tether.js'), 'emulator', '--config', config], { env: envWithoutKey() }).then(
        () => assert.fail('expected exit 2'),
        (error: { code?: number; stderr?: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(failed.stderr ?? '', new RegExp(`port ${port} is already in use; pass --port`));
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
