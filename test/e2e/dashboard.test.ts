// The dashboard in a real browser: Debian's headless Chromium driven by playwright-core against the gateway with
// the real pipeline and the emulator injecting 500s on one model (its breaker opens, traffic falls back). After
// known traffic and a real `tether run` through the gateway, the page must show the numbers /metrics reports —
// requests, errors by category, the open breaker, the fallbacks — and the run's progress. The screenshot is kept
// in artifacts/dashboard.png (git-ignored; copy a good one to docs/dashboard.png for the README).
// Without Chromium this test fails in CI (CI=true) and is skipped, with the reason, elsewhere.
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type * as PlaywrightCore from 'playwright-core';
import { runJobId, runsDir, writeRunStatus } from '../../src/batch/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'tether.js');
const SCREENSHOT = join(ROOT, 'artifacts', 'dashboard.png');

const KEY = 'tk-dashboard-e2e';
const TOKEN = 'dashboard-client-token-01';
/** Gets a 500 on every attempt: retried, then its breaker opens and its default route's first model answers. */
const PRIMARY = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const FALLBACK = 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo';
const HEALTHY = 'Qwen/Qwen2.5-7B-Instruct-Turbo';

type Playwright = typeof PlaywrightCore;

/** playwright-core and Debian's Chromium, or the reason they cannot be used. */
async function browserKit(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium; scripts/ensure-tools.sh does it as root)`;
  try {
    return await import('playwright-core');
  } catch {
    return 'playwright-core is not installed: npm install (it is a devDependency)';
  }
}

function unavailable(t: TestContext, reason: string): void {
  if (process.env.CI === 'true') assert.fail(`the dashboard browser test cannot run in CI: ${reason}`);
  t.skip(`dashboard browser test skipped: ${reason}`);
}

function chat(model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content: 'Describe a circuit breaker in one line.' }], max_tokens: 12, ...extra };
}

function post(gateway: RunningGateway, body: unknown, token = TOKEN): Promise<number> {
  return fetch(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

/** Sum of the samples of `name` in Prometheus text whose labels `match` accepts. */
function promSum(text: string, name: string, match: (labels: Record<string, string>) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string;
    if (match(labels)) sum += Number(m[3]);
  }
  return sum;
}

const api = (l: Record<string, string>): boolean => (l.route ?? '').startsWith('/v1/');

/** Runs `tether run` through the gateway (the gateway's client token is its API key there). */
function tetherRun(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, NODE_ENV: 'test' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** The page's text at `selector`, numbers without their thousands separators. */
async function text(page: Page, selector: string): Promise<string> {
  const value = await page.locator(selector).first().textContent({ timeout: 2000 });
  return (value ?? '').trim();
}

async function number(page: Page, selector: string): Promise<number> {
  return Number((await text(page, selector)).replace(/,/g, ''));
}

describe('the dashboard in headless Chromium', () => {
  let emu: RunningEmulator;
  let gateway: RunningGateway;
  let home: string;
  let context: BrowserContext | undefined;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'tether-dashboard-e2e-'));
    emu = await startEmulator({
      port: 0,
      seed: 8,
      keys: [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }],
      faults: [
        { kind: 'status', status: 500, rate: 1, model: PRIMARY },
        { kind: 'latency', ms: 10, jitterMs: 60 },
      ],
    });
    gateway = await createGateway(
      {
        port: 0,
        logLevel: 'silent',
        upstream: { baseUrl: emu.baseUrl, apiKey: KEY },
        clients: [{ name: 'dashboard-e2e', token: TOKEN }],
        policies: { retries: { baseDelayMs: 5, maxDelayMs: 20 }, breaker: { threshold: 3, coolDownMs: 600_000 } },
      },
      { env: { TETHER_HOME: home } },
    );
  });

  after(async () => {
    await context?.close();
    await gateway?.close();
    await emu?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('shows what /metrics reports, the open breaker, the fallbacks and the run jobs', async (t) => {
    const kit = await browserKit();
    if (typeof kit === 'string') return unavailable(t, kit);
    const profile = join(home, 'chromium-profile');
    context = await kit.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1360, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });

    // Sign in the way a person does: the token once in the URL, then a cookie; the token leaves the address bar.
    const signIn = await page.goto(`${gateway.url}/ui?token=${TOKEN}`);
    assert.equal(signIn?.status(), 200);
    assert.equal(page.url(), `${gateway.url}/ui`);
    await page.waitForSelector('#status.live', { timeout: 5000 });

    // Traffic in waves, so the charts have points: the primary (500 → breaker → fallback), a healthy model, and
    // errors of three categories.
    const input = join(home, 'requests.jsonl');
    const output = join(home, 'results.jsonl');
    writeFileSync(input, Array.from({ length: 6 }, (_, i) => JSON.stringify({ custom_id: `r${i}`, body: chat(HEALTHY, { max_tokens: 6 }) })).join('\n') + '\n');
    const run = tetherRun(['run', input, '-o', output, '--concurrency', '2'], { TOGETHER_API_KEY: TOKEN, TOGETHER_BASE_URL: gateway.baseUrl, TETHER_HOME: home });
    for (let wave = 0; wave < 5; wave++) {
      const statuses = await Promise.all([
        post(gateway, chat(PRIMARY)),
        post(gateway, chat(PRIMARY)),
        post(gateway, chat(HEALTHY)),
        post(gateway, chat(HEALTHY, { stream: false, max_tokens: 20 })),
        post(gateway, chat('acme-labs/no-such-model-7b')),
        ...(wave % 2 === 0 ? [post(gateway, { model: HEALTHY, messages: [] }), post(gateway, chat(HEALTHY), 'not-a-client-token')] : []),
      ]);
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 404], `wave ${wave}`);
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    const ran = await run;
    assert.equal(ran.code, 0, `tether run failed: ${ran.stderr}`);
    // A second job, still running elsewhere, as its status file says.
    await writeRunStatus(
      { jobId: 'nightly-eval', input: '/data/nightly-eval.jsonl', output: '/data/nightly-eval.out.jsonl', done: 1240, left: 3760, failed: 3, ratePerSec: 18.5, etaSec: 3760 / 18.5, spendUsd: 0.4821, state: 'running', updatedAt: new Date().toISOString() },
      runsDir({ TETHER_HOME: home }),
    );

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const requests = promSum(metrics, 'tether_gateway_requests_total', api);
    const errors = promSum(metrics, 'tether_gateway_requests_total', (l) => api(l) && l.category !== 'none');
    const fallbacks = promSum(metrics, 'tether_upstream_fallbacks_total');
    assert.ok(requests >= 30 && errors >= 8 && fallbacks >= 10, `traffic reached the gateway (${requests} requests, ${errors} errors, ${fallbacks} fallbacks)`);
    assert.equal(promSum(metrics, 'tether_breaker_state', (l) => l.model === PRIMARY && l.state === 'open'), 1, '/metrics says the breaker is open');

    // The page catches up within a couple of polls.
    const deadline = Date.now() + 5000;
    while ((await number(page, '[data-metric="requests"] .v')) !== requests || !(await page.locator('#runs tr[data-job]').count())) {
      assert.ok(Date.now() < deadline, `the page never showed ${requests} requests (it shows ${await text(page, '[data-metric="requests"] .v')})`);
      await page.waitForTimeout(200);
    }
    await page.waitForTimeout(1100); // one more poll, so the run job rows are both in

    assert.equal(await number(page, '[data-metric="requests"] .v'), requests);
    assert.equal(await number(page, '[data-metric="errors"] .v'), errors);
    assert.equal(await number(page, '[data-metric="success"] .v'), requests - errors);
    for (const category of ['not_found', 'validation', 'auth']) {
      const expected = promSum(metrics, 'tether_gateway_requests_total', (l) => api(l) && l.category === category);
      assert.ok(expected > 0, category);
      assert.equal(await number(page, `#categories tr[data-category="${category}"] .count`), expected, `errors of category ${category}`);
    }
    assert.equal(await text(page, `#breakers tr[data-model="${PRIMARY}"] .pill`), 'open');
    assert.equal(await number(page, '[data-metric="fallbacks"] .v'), fallbacks);
    const fallbackRows = [...metrics.matchAll(/^tether_upstream_fallbacks_total\{from="([^"]+)",to="([^"]+)",why="([^"]+)"\} (\d+)$/gm)];
    assert.ok(fallbackRows.some((m) => m[1] === PRIMARY && m[2] === FALLBACK), 'the primary fell back to its route');
    for (const [, from, to, why, count] of fallbackRows) {
      const row = page.locator(`#fallbacks tr[data-from="${from}"][data-to="${to}"]`, { hasText: why as string });
      assert.equal(Number(((await row.locator('.count').textContent()) ?? '').replace(/,/g, '')), Number(count), `fallbacks ${from} -> ${to} (${why})`);
    }
    const prompt = promSum(metrics, 'tether_tokens_total', (l) => l.kind === 'prompt');
    assert.ok(prompt > 0);
    assert.equal(await number(page, `#models tr[data-model="${HEALTHY}"] td:nth-child(3)`), promSum(metrics, 'tether_tokens_total', (l) => l.model === HEALTHY && l.kind === 'prompt'));

    // The tether run job (finished) and the one still running.
    const job = page.locator(`#runs tr[data-job="${runJobId(output)}"]`);
    assert.equal(await job.locator('.pill').textContent(), 'done');
    assert.equal(await job.locator('.lbl').textContent(), '6 / 6');
    assert.equal(await job.locator('.left').textContent(), '0');
    const nightly = page.locator('#runs tr[data-job="nightly-eval"]');
    assert.equal(await nightly.locator('.pill').textContent(), 'running');
    assert.equal(await nightly.locator('.lbl').textContent(), '1,240 / 5,000');
    assert.equal(await nightly.locator('.eta').textContent(), '3m23s');
    assert.equal(await nightly.locator('.spend').textContent(), '$0.4821');

    // The trends are drawn, and nothing broke in the page.
    assert.ok((await page.locator('#ch-rps path').count()) >= 1, 'the requests/s chart has a line');
    assert.equal(await page.locator('#ch-lat path').count(), 3, 'p50, p95 and p99');
    assert.deepEqual(pageErrors, []);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(existsSync(SCREENSHOT));
  });
});
