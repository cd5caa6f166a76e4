import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSnapshot } from '../../src/catalog/index.js';

const KEY = 'tgp_v1_cli_models_test_key_0123456789';

/** The snapshot served as Together's /models (a bare array of ModelInfo). */
const MODELS = loadSnapshot().models.map((m) => ({
  id: m.id,
  object: 'model',
  created: 1730937600,
  type: m.type,
  display_name: m.display_name,
  organization: m.organization,
  context_length: m.context_length,
  pricing: { hourly: 0, input: m.pricing.input, output: m.pricing.output, base: 0, finetune: 0 },
}));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI asynchronously (the server answering it lives in this process). */
function tether(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, TOGETHER_API_KEY: undefined, TOGETHER_BASE_URL: undefined, ...env };
    for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
    execFile(process.execPath, ['bin/tether.js', ...args], { env: childEnv, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('tether models against a local /models', () => {
  let server: Server;
  let baseUrl: string;
  const seenAuth: string[] = [];
  let answer401 = false;

  before(async () => {
    server = createServer((req, res) => {
      seenAuth.push(req.headers.authorization ?? '');
      if (req.url !== '/v1/models') {
        res.writeHead(404).end();
        return;
      }
      if (answer401) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Invalid API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(MODELS));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('--json lists the live models, authenticated with TOGETHER_API_KEY', async () => {
    const run = await tether(['models', '--json'], { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: baseUrl });
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as Array<{ id: string; family?: string; contextLength?: number; source: string }>;
    assert.equal(list.length, MODELS.length);
    const qwen = list.find((m) => m.id === 'Qwen/Qwen2.5-72B-Instruct-Turbo');
    assert.equal(qwen?.family, 'qwen-2.5');
    assert.equal(qwen?.contextLength, 131072, 'the context Together enforces (the API\'s), not the docs\' 32768');
    assert.equal(qwen?.source, 'live');
    assert.equal(seenAuth.at(-1), `Bearer ${KEY}`);
  });

  test('--type and --search narrow the human table; flags override the environment', async () => {
    const run = await tether(['models', '--type', 'chat', '--search', 'llama-3.1', '--base-url', baseUrl, '--api-key', 'flag-key-123456']);
    assert.equal(run.code, 0, run.stderr);
    const rows = run.stdout.trim().split('\n');
    assert.match(rows[0] ?? '', /^ID\s+TYPE\s+CONTEXT/);
    assert.ok(rows.some((row) => row.startsWith('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo ')));
    assert.ok(!rows.some((row) => row.includes('Llama-3.3')), 'another family was listed');
    assert.match(rows.at(-1) ?? '', /^\d+ model\(s\), live list$/);
    assert.equal(seenAuth.at(-1), 'Bearer flag-key-123456');
  });

  test('resolve: a near miss exits 1 with the suggestions; an exact id exits 0 with its facts', async () => {
    const env = { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: baseUrl };
    const miss = await tether(['models', 'resolve', 'meta-llama/Meta-Llama-3.1-8B-Instruct'], env);
    assert.equal(miss.code, 1, miss.stderr);
    assert.match(miss.stdout, /^not usable: meta-llama\/Meta-Llama-3\.1-8B-Instruct \(unknown\)/);
    assert.match(miss.stdout, /suggestions:\n {2}meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo\n/);

    const hit = await tether(['models', 'resolve', 'Qwen/Qwen2.5-72B-Instruct-Turbo', '--json'], env);
    assert.equal(hit.code, 0, hit.stderr);
    const out = JSON.parse(hit.stdout) as { ok: boolean; listSource: string; model: { contextLength: number }; fallbacks: string[] };
    assert.equal(out.ok, true);
    assert.equal(out.listSource, 'live');
    assert.equal(out.model.contextLength, 131072);
    assert.deepEqual(out.fallbacks, ['Qwen/Qwen2.5-7B-Instruct-Turbo']);
  });

  test('resolve a deprecated id: refused naming the successor, or migrated with --allow-successor', async () => {
    const env = { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: baseUrl };
    const refused = await tether(['models', 'resolve', 'meta-llama/Llama-3-8b-chat-hf', '--json'], env);
    assert.equal(refused.code, 1);
    const body = JSON.parse(refused.stdout) as { reason: string; successor: string };
    assert.deepEqual([body.reason, body.successor], ['deprecated', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo']);
    const migrated = await tether(['models', 'resolve', 'meta-llama/Llama-3-8b-chat-hf', '--allow-successor'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /^ok: meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo \(migrated from deprecated meta-llama\/Llama-3-8b-chat-hf\)/);
  });

  test('a rejected key exits 1 with the cause and fix, and never prints the key', async () => {
    answer401 = true;
    try {
      const run = await tether(['models'], { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: baseUrl });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /could not load the model list: .*\n {2}cause: .*\n {2}fix: /);
      assert.ok(!`${run.stdout}${run.stderr}`.includes(KEY));
      // resolve still answers, from the bundled snapshot, and warns why.
      const resolve = await tether(['models', 'resolve', 'openai/gpt-oss-20b'], { TOGETHER_API_KEY: KEY, TOGETHER_BASE_URL: baseUrl });
      assert.equal(resolve.code, 0);
      assert.match(resolve.stderr, /warning: could not load the live model list .*; using the bundled snapshot of 2025-11-07/);
      assert.match(resolve.stdout, /list: +bundled snapshot/);
      assert.ok(!`${resolve.stdout}${resolve.stderr}`.includes(KEY));
    } finally {
      answer401 = false;
    }
  });

  test('usage errors exit 2: no key, a bad base URL', async () => {
    const noKey = await tether(['models', '--base-url', baseUrl]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no API key: set TOGETHER_API_KEY or pass --api-key/);
    const badUrl = await tether(['models', '--base-url', 'not a url'], { TOGETHER_API_KEY: KEY });
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /Invalid base URL/);
  });
});

test('resolve --offline needs no key and no network', async () => {
  const run = await tether(['models', 'resolve', 'Llama-3.3-70B-Instruct-Turbo', '--offline']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /Did you mean "meta-llama\/Llama-3\.3-70B-Instruct-Turbo"\?/);
  assert.match(run.stdout, /bundled catalog snapshot/);
});
