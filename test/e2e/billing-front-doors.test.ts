// A 402's fix names the way to resume of the front door that raised it: the library's client.resetKey(), the
// resilientFetch's pipeline, the gateway's config reload, `tether run`'s same command again; `tether explain`
// (no door) stays neutral. None of them speaks of "a tether batch".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { BILLING_FIX, TogetherError, billingFix, classify, withFrontDoorFix } from '../../src/errors/index.js';
import { createGateway } from '../../src/gateway/index.js';
import { createClient, resilientFetch } from '../../src/pipeline/index.js';

const BIN = new URL('../../bin/tether.js', import.meta.url).pathname;
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const BROKE = 'tk-doors-broke';
const BODY = { model: MODEL, messages: [{ role: 'user' as const, content: 'Hello' }], max_tokens: 8 };
/** The CLI in a child process, asynchronously: the emulator it calls runs on this process's event loop. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const DIR = mkdtempSync(join(tmpdir(), 'tether-billing-doors-'));

let emu: RunningEmulator;
before(async () => {
  emu = await startEmulator({ port: 0, seed: 3, logLevel: 'silent', keys: [{ key: BROKE, requestsPerSecond: 1000, creditsUsd: 0 }] });
});
after(async () => {
  await emu.close();
  rmSync(DIR, { recursive: true, force: true });
});

function assertNoBatchWording(fix: string): void {
  assert.doesNotMatch(fix, /tether batch/);
  assert.match(fix, /settings\/billing/);
}

describe('the 402 fix per front door', () => {
  test('without a door (tether explain, classify) the fix is neutral', () => {
    const error = classify({ status: 402, body: { error: { message: 'Credit limit exceeded', type: 'credit_limit' } } });
    assert.equal(error.fix, BILLING_FIX);
    assertNoBatchWording(error.fix);
    const explained = spawnSync(process.execPath, [BIN, 'explain', '--status', '402', '--json'], { encoding: 'utf8' });
    assert.equal(explained.status, 0, explained.stderr);
    assert.equal((JSON.parse(explained.stdout) as { fix: string }).fix, BILLING_FIX);
  });

  test('withFrontDoorFix rewrites only billing errors and keeps every other field', () => {
    const billing = classify({ status: 402, headers: { 'x-request-id': 'req-402' }, body: { error: { message: 'no credit' } } });
    const library = withFrontDoorFix(billing, 'library') as TogetherError;
    assert.ok(library instanceof TogetherError);
    assert.equal(library.fix, billingFix('library'));
    assert.deepEqual({ ...library.toJSON(), fix: billing.fix }, billing.toJSON());
    const rateLimit = classify({ status: 429, body: { error: { message: 'slow down' } } });
    assert.equal(withFrontDoorFix(rateLimit, 'library'), rateLimit);
    const plain = new Error('not a TogetherError');
    assert.equal(withFrontDoorFix(plain, 'gateway'), plain);
    assert.match(billingFix('run', 'tether run q.jsonl -o a.jsonl'), /run the same command again \(`tether run q\.jsonl -o a\.jsonl`\)/);
  });

  test('library: createClient throws a billing error whose fix is client.resetKey()', async () => {
    const client = createClient({ apiKey: BROKE, baseUrl: emu.baseUrl, env: {} });
    try {
      for (let i = 0; i < 2; i++) {
        // The first is Together's 402; the second is the stopped key failing at once: both say how to resume.
        const error = await client.chat.completions.create(BODY).then(
          () => assert.fail('expected a 402'),
          (e: unknown) => e as TogetherError,
        );
        assert.equal(error.category, 'billing');
        assert.match(error.fix, /client\.resetKey\(\)/);
        assertNoBatchWording(error.fix);
      }
      emu.setCredits(BROKE, 5);
      assert.equal(client.resetKey(), true, 'the name the fix gives exists and releases the key');
      assert.equal((await client.chat.completions.create(BODY)).object, 'chat.completion');
    } finally {
      emu.setCredits(BROKE, 0);
      await client.close();
    }
  });

  test("resilientFetch: the envelope's error.tether.fix names fetch.pipeline.resetKey()", async () => {
    const fetch = resilientFetch({ apiKey: BROKE, baseUrl: emu.baseUrl, env: {} });
    try {
      const response = await fetch(`${emu.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
      const body = (await response.json()) as { error: { tether: { fix: string } } };
      assert.equal(response.status, 402);
      const fix = body.error.tether.fix;
      assert.match(fix, /fetch\.pipeline\.resetKey\(\)/);
      assertNoBatchWording(fix);
      assert.equal(typeof fetch.pipeline.resetKey, 'function');
    } finally {
      await fetch.close();
    }
  });

  test('gateway: the x-tether-fix header says a config reload (or restart) lets it send again', async () => {
    const gateway = await createGateway({ port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: BROKE } }, { env: {} });
    try {
      const response = await fetch(`${gateway.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) });
      await response.arrayBuffer();
      assert.equal(response.status, 402);
      const fix = response.headers.get('x-tether-fix') ?? '';
      assert.match(fix, /config file \(any change reloads it\) or restart the gateway/);
      assertNoBatchWording(fix);
    } finally {
      await gateway.close();
    }
  });

  test('tether run: the stop says to run the same command again, and --json carries the resume command in the fix', async () => {
    const input = join(DIR, 'questions.jsonl');
    writeFileSync(input, `${JSON.stringify({ custom_id: 'q-1', body: BODY })}\n`);
    const env = { ...process.env, TETHER_HOME: join(DIR, 'home'), TOGETHER_API_KEY: BROKE, TOGETHER_BASE_URL: emu.baseUrl };
    const human = await cli(['run', input, '-o', join(DIR, 'answers.jsonl'), '--store', 'memory'], env);
    assert.equal(human.code, 1, human.stderr);
    const printed = human.stdout + human.stderr;
    assert.match(printed, /then run the same command again: it keeps every finished result/);
    assert.doesNotMatch(printed, /tether batch/);
    const json = await cli(['run', input, '-o', join(DIR, 'answers2.jsonl'), '--store', 'memory', '--json'], env);
    assert.equal(json.code, 1, json.stderr);
    const summary = JSON.parse(json.stdout) as { resume: string; stop: { error: { fix: string } } };
    assert.ok(summary.stop.error.fix.includes(`(\`${summary.resume}\`)`), summary.stop.error.fix);
  });
});
