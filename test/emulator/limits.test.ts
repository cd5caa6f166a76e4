import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyLimiter, SlidingWindow } from '../../src/emulator/limits.js';
import { CHAT_MODEL, OTHER_CHAT_MODEL, call, chat, sleep, start } from './helpers.js';
import { familyForModel, loadTokenizer } from '../../src/tokens/index.js';

describe('sliding windows (driven clock)', () => {
  test('count admissions inside the window and free them exactly one window later', () => {
    const window = new SlidingWindow(3, 1000);
    for (const at of [0, 100, 200]) window.record(at, 1);
    assert.equal(window.remaining(300), 0);
    assert.equal(window.msUntilFits(300, 1), 700);
    assert.equal(window.msUntilReset(300), 700);
    assert.equal(window.remaining(999), 0);
    assert.equal(window.remaining(1000), 1);
    assert.equal(window.remaining(1200), 3);
    assert.equal(window.msUntilReset(1200), 0);
  });

  test('a token window frees enough for a request as old entries expire', () => {
    const window = new SlidingWindow(100, 60_000);
    window.record(0, 40);
    window.record(10_000, 50);
    assert.equal(window.remaining(20_000), 10);
    assert.equal(window.msUntilFits(20_000, 10), 0);
    assert.equal(window.msUntilFits(20_000, 45), 40_000); // the first 40 free at 60 s
    assert.equal(window.msUntilFits(20_000, 95), 50_000); // both free at 70 s
    assert.equal(window.msUntilFits(20_000, 101), 60_000); // never fits: a whole window
  });

  test('admissions recorded out of arrival order: kept in time order, and later arrivals do not count against earlier ones', () => {
    const window = new SlidingWindow(2, 1000);
    window.record(0, 1);
    window.record(500, 1);
    window.record(200, 1); // arrived at 200, decided after the request that arrived at 500
    assert.equal(window.msUntilReset(600), 400);
    assert.equal(window.remaining(1100), 0); // 200 and 500 still in
    assert.equal(window.remaining(1200), 1); // 200 left exactly one window after it arrived
    const late = new SlidingWindow(1, 1000);
    late.record(1000, 1);
    assert.equal(late.msUntilFits(0, 1), 0); // an arrival at 0 decided after one at 1000: a whole window apart
    assert.equal(late.msUntilFits(1500, 1), 500);
  });

  test('check() records nothing, so a rejected request costs no budget', () => {
    const limiter = new KeyLimiter({ requestsPerSecond: 2, tokensPerMinute: 100 });
    assert.deepEqual(limiter.check(0, 60), { ok: true });
    limiter.consume(0, 60);
    const tokens = limiter.check(10, 60);
    assert.equal(tokens.ok, false);
    assert.equal(!tokens.ok && tokens.error.error.code, 'dynamic_token_limited');
    assert.equal(!tokens.ok && tokens.error.headers?.['retry-after'], '60');
    assert.equal(limiter.headers(10)['x-tokenlimit-remaining'], '40');
    limiter.consume(20, 30);
    const requests = limiter.check(30, 1);
    assert.equal(!requests.ok && requests.error.error.code, 'dynamic_request_limited');
    assert.equal(!requests.ok && requests.error.headers?.['retry-after'], '1');
    assert.deepEqual(limiter.headers(500), {
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '0.5',
      'x-tokenlimit-limit': '100',
      'x-tokenlimit-remaining': '10',
    });
  });
});

describe('per-key limits over HTTP', () => {
  test('headers count down, a burst gets 429 with retry-after, and the budget refills', async () => {
    const emu = await start({ keys: [{ key: 'test-key', requestsPerSecond: 3, tokensPerMinute: 1_000_000, creditsUsd: 10 }] });
    try {
      // The headers are read when the answer is written: a first answer that waits for its tokenizer to load (over
      // a second on a slow machine) would find its own admission out of the one-second window already.
      await loadTokenizer(familyForModel(CHAT_MODEL)!);
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await call(emu, '/v1/chat/completions', { body: chat() });
        assert.equal(reply.status, 200, reply.text);
        assert.equal(reply.headers.get('x-ratelimit-limit'), '3');
        remaining.push(reply.headers.get('x-ratelimit-remaining') ?? '');
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      const limited = await call(emu, '/v1/chat/completions', { body: chat() });
      assert.equal(limited.status, 429);
      assert.equal(limited.json.error.code, 'dynamic_request_limited');
      assert.equal(limited.json.error.type, 'dynamic_request_limited');
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
      const reset = Number(limited.headers.get('x-ratelimit-reset'));
      assert.ok(reset > 0 && reset <= 1, `x-ratelimit-reset ${reset}`);
      assert.equal(emu.stats().inferenceCalls, 3);
      // A concurrent burst: exactly as many as the window holds get through. Wait a whole window, not just
      // `reset` (when the first slot frees): on a loaded machine the three calls above were spread over time.
      await sleep(1_100);
      const burst = await Promise.all(Array.from({ length: 6 }, () => call(emu, '/v1/chat/completions', { body: chat() })));
      assert.deepEqual(burst.map((r) => r.status).sort(), [200, 200, 200, 429, 429, 429]);
      assert.equal(emu.stats().inferenceCalls, 6);
    } finally {
      await emu.close();
    }
  });

  test('tokens per minute: usage is charged, and the request that does not fit gets dynamic_token_limited', async () => {
    const emu = await start({ keys: [{ key: 'test-key', requestsPerSecond: 100, tokensPerMinute: 100, creditsUsd: 10 }] });
    try {
      const first = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 5 }) });
      assert.equal(first.status, 200, first.text);
      const used = first.json.usage.total_tokens as number;
      assert.equal(first.headers.get('x-tokenlimit-limit'), '100');
      assert.equal(first.headers.get('x-tokenlimit-remaining'), String(100 - used));
      const second = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 5 }) });
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('x-tokenlimit-remaining'), String(100 - 2 * used));
      assert.ok(100 - 2 * used < used, 'the third request cannot fit');
      const third = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 5 }) });
      assert.equal(third.status, 429);
      assert.equal(third.json.error.code, 'dynamic_token_limited');
      assert.equal(third.headers.get('retry-after'), '60');
      assert.equal(third.headers.get('x-tokenlimit-remaining'), String(100 - 2 * used), 'rejected requests consume nothing');
      assert.equal(third.headers.get('x-ratelimit-remaining'), '98');
    } finally {
      await emu.close();
    }
  });

  test('the default key has documented limits', async () => {
    const emu = await start({ keys: undefined });
    try {
      const reply = await call(emu, '/v1/chat/completions', { key: 'emulator-key', body: chat({ model: CHAT_MODEL }) });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('x-ratelimit-limit'), '10');
      assert.equal(reply.headers.get('x-tokenlimit-limit'), '200000');
      assert.equal(emu.config.keys[0]?.creditsUsd, 5);
    } finally {
      await emu.close();
    }
  });
});

describe('limits apply as of arrival', () => {
  test('a request slowed before admission is not refused for a later arrival (1 request/s, arrivals 1.1 s apart)', async () => {
    const slowModel = OTHER_CHAT_MODEL;
    const emu = await start({ keys: [{ key: 'k-arrival', requestsPerSecond: 1 }], faults: [{ kind: 'latency', ms: 1500, model: slowModel }] });
    try {
      const slow = call(emu, '/v1/chat/completions', { key: 'k-arrival', body: chat({ model: slowModel }) });
      await sleep(1100);
      const fast = await call(emu, '/v1/chat/completions', { key: 'k-arrival', body: chat() });
      assert.equal(fast.status, 200);
      assert.equal((await slow).status, 200); // decided after `fast`, as of its own arrival 1.1 s before it
    } finally {
      await emu.close();
    }
  });
});

describe('credits', () => {
  test('usage × price is charged; once spent, 402; setCredits restores', async () => {
    const emu = await start({ keys: [{ key: 'test-key', name: 'main', requestsPerSecond: 100, creditsUsd: 0.00001 }] });
    try {
      const first = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 5 }) });
      assert.equal(first.status, 200);
      const { prompt_tokens: p, completion_tokens: c } = first.json.usage;
      const price = 0.18; // CHAT_MODEL input and output, USD per 1M tokens
      assert.ok(Math.abs((emu.stats().creditsUsd.main ?? NaN) - (0.00001 - ((p + c) * price) / 1e6)) < 1e-15);
      let status = 200;
      let sent = 1;
      while (status === 200 && sent < 10) {
        status = (await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 5 }) })).status;
        sent++;
      }
      assert.equal(status, 402);
      assert.equal(sent, Math.ceil(0.00001 / (((p + c) * price) / 1e6)) + 1, 'the first request after the balance goes to 0 gets 402');
      emu.setCredits('test-key', 1);
      assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
      assert.throws(() => emu.setCredits('nobody', 1), /no configured key/);
    } finally {
      await emu.close();
    }
  });
});
