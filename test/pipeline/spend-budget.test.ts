// createClient({ budget }): requests reserve their worst case before they are sent and settle to the real cost; a
// request that does not fit is refused at once (never sent); an unknown price is refused, never counted as free.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, withSpendBudget, worstCaseUsd } from '../../src/pipeline/index.js';
import type { PipelineResult } from '../../src/pipeline/index.js';
import { MemorySpendStore, SpendBudgets } from '../../src/policy/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { tokenBounds } from '../../src/tokens/index.js';
import { KEYS, MODELS, REDIS_SKIP, startRedis, startTestEmulator } from '../support/index.js';
import type { Emulator } from '../support/index.js';

let emu: Emulator;
before(async () => {
  emu = await startTestEmulator();
});
after(async () => {
  await emu?.close();
});

test('worst case: prompt bound × input price + max_tokens × n × output price; the context when max_tokens is unset', () => {
  const model = { pricing: { input: 1, output: 2 }, contextLength: 1000 };
  const body = { messages: 'x', max_tokens: 10, n: 2 };
  const promptBound = tokenBounds({ body: { messages: 'x' } }).prompt;
  assert.ok(promptBound > 128, 'the bound leaves room for the chat template');
  assert.deepEqual(worstCaseUsd(body, model), { usd: (promptBound * 1 + 20 * 2) / 1e6 });
  assert.deepEqual(worstCaseUsd({ messages: 'x' }, model), { usd: (promptBound + 1000 * 2) / 1e6 });
  assert.deepEqual(worstCaseUsd({ input: 'x' }, model), { usd: promptBound / 1e6 }, 'embeddings have no completion');
  assert.match(JSON.stringify(worstCaseUsd(body, { pricing: undefined, contextLength: 1000 })), /price is not known/);
  assert.match(JSON.stringify(worstCaseUsd({ messages: 'x' }, { pricing: { input: 1, output: 1 }, contextLength: undefined })), /max_tokens is unset/);
});

test('a client with a small budget spends up to it and never past it, by the emulator\'s own accounting', async () => {
  const budgetUsd = 0.001; // one request's worst case is ~5% of it: what is left at the end is less than that
  const client = createClient({ apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, budget: { usd: budgetUsd, per: 'day' } });
  const before = emu.stats().costUsd;
  let refused = 0;
  let answered = 0;
  // Waves of 20 concurrent requests until a whole wave is refused: reservations are released as requests settle.
  for (let wave = 0; wave < 40; wave++) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        client.chat.completions.create({ model: MODELS.chat, messages: [{ role: 'user', content: `hello ${wave}.${i}` }], max_tokens: 8 + ((wave * 20 + i) % 5) * 24 }),
      ),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
    answered += ok;
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        refused++;
        assert.ok(isTogetherError(outcome.reason) && outcome.reason.code === 'budget_exceeded', String(outcome.reason));
      }
    }
    if (ok === 0) break;
  }
  const spent = emu.stats().costUsd - before;
  const reading = await client.budget();
  await client.close();
  assert.ok(answered > 0 && refused > 0, `answered ${answered}, refused ${refused}`);
  assert.ok(spent <= budgetUsd + 1e-12, `the emulator charged $${spent} against a $${budgetUsd} budget`);
  assert.ok(spent >= 0.9 * budgetUsd, `only $${spent} of $${budgetUsd} was usable`);
  assert.equal(reading?.reservedUsd, 0, 'every reservation was settled');
  assert.ok(Math.abs((reading?.spentUsd ?? 0) - spent) < 1e-7, `the budget counted $${reading?.spentUsd}, the emulator $${spent}`);
});

test('a refused request is never sent, and its error says what is left and when it resets', async () => {
  const client = createClient({ apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, budget: { usd: 0.00001, per: 'month', name: 'tiny' } });
  const sent = emu.stats().byPath['/v1/chat/completions'] ?? 0;
  const error = await client.chat.completions.create({ model: MODELS.chat, messages: [{ role: 'user', content: 'hi' }], max_tokens: 500 }).then(() => undefined, (e: unknown) => e);
  await client.close();
  assert.ok(isTogetherError(error));
  assert.equal(error.code, 'budget_exceeded');
  assert.match(error.message, /Budget "tiny" \(\$0\.000010 per UTC month\) has \$0\.000010 left/);
  assert.match(error.message, /resets \d{4}-\d{2}-01T00:00:00\.000Z/);
  assert.equal(emu.stats().byPath['/v1/chat/completions'] ?? 0, sent, 'the refused request reached the emulator');
});

test('a bad budget option is a clear TypeError', () => {
  assert.throws(() => createClient({ apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, budget: { usd: -1, per: 'day' } }), /budget\.usd must be a positive number/);
  assert.throws(() => createClient({ apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, budget: { usd: 1, per: 'week' as 'day' } }), /budget\.per must be one of 'day', 'month', 'total'/);
});

test('with configured fallbacks the reservation covers the priciest model of the route; a JSON answer settles to its cost', async () => {
  const budgets = new SpendBudgets(new MemorySpendStore());
  const limit = { usd: 1, per: 'total' as const };
  const prices: Record<string, { input: number; output: number }> = { cheap: { input: 1, output: 1 }, dear: { input: 10, output: 10 } };
  const lookup = async (id: string) => (prices[id] ? { id, pricing: prices[id], contextLength: 1000 } : undefined);
  const body = { model: 'cheap', messages: 'x', max_tokens: 100 };
  const dearBound = worstCaseUsd(body, { pricing: prices['dear'], contextLength: 1000 });
  let reservedDuringSend = -1;
  const send = withSpendBudget(
    async () => {
      reservedDuringSend = (await budgets.read('b', limit)).reservedUsd;
      return { kind: 'json', status: 200, body: {}, record: { model: 'dear', costUsd: 0.0001 } } as unknown as PipelineResult;
    },
    { budgets, name: 'b', limit },
    lookup,
  );
  await send({ endpoint: 'chat', body, overrides: { fallbacks: ['dear', 'unlisted'] } });
  assert.ok('usd' in dearBound);
  assert.ok(Math.abs(reservedDuringSend - dearBound.usd) < 1e-9, `reserved ${reservedDuringSend}, the dear model's worst case is ${dearBound.usd}`);
  await new Promise((resolve) => setImmediate(resolve));
  const after = await budgets.read('b', limit);
  assert.deepEqual([after.spentUsd, after.reservedUsd], [0.0001, 0]);
});

test('two library clients of the same name on one Redis share one budget', { skip: REDIS_SKIP }, async () => {
  const redis = await startRedis();
  const options = { apiKey: KEYS.main, baseUrl: emu.baseUrl, env: {}, budget: { usd: 0.001, per: 'total' as const, name: 'shared-etl', redis: redis.url } };
  const clients = [createClient(options), createClient(options)];
  try {
    const before = emu.stats().costUsd;
    let answered = 0;
    for (let wave = 0; wave < 40; wave++) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => clients[i % 2]!.chat.completions.create({ model: MODELS.chat, messages: [{ role: 'user', content: `etl ${wave}.${i}` }], max_tokens: 40 })),
      );
      const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
      answered += ok;
      if (ok === 0) break;
    }
    const spent = emu.stats().costUsd - before;
    assert.ok(answered > 0);
    assert.ok(spent <= 0.001 + 1e-12, `two clients spent $${spent} of a shared $0.001`);
    // One request's worst case is ~$0.00004: what is left at the end is less than that.
    assert.ok(spent >= 0.9 * 0.001, `only $${spent} usable`);
    const [a, b] = await Promise.all(clients.map((c) => c.budget()));
    assert.equal(a?.spentUsd, b?.spentUsd, 'the two clients see different budgets');
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await redis.stop();
  }
});
