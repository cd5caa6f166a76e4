// Property tests for the spend budgets' arithmetic: whatever interleaving of reservations and settlements (real
// costs at most what was reserved, or unknown), the window's spend plus its reservations never passes the limit,
// a reservation is granted exactly when it fits, and once everything is settled nothing stays reserved.
// Every input that ever failed stays in test/fixtures/fuzz/spend-budget-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { MemorySpendStore, SpendBudgets, toNanoUsd } from '../../src/policy/index.js';
import type { SpendReservation } from '../../src/policy/index.js';

const SEED = 20261207;

/** `reserve` a worst case in USD; `settle` the n-th open reservation to a share of it (null: cost unknown). */
type Step = { reserve: number } | { settle: number; share: number | null };
interface Case {
  note?: string;
  limitUsd: number;
  steps: Step[];
}

async function check({ limitUsd, steps }: Case): Promise<void> {
  const budgets = new SpendBudgets(new MemorySpendStore());
  const limit = { usd: limitUsd, per: 'day' as const };
  const open: SpendReservation[] = [];
  const limitNano = toNanoUsd(limitUsd);
  for (const step of steps) {
    const before = await budgets.read('f', limit);
    if ('reserve' in step) {
      const fits = toNanoUsd(before.spentUsd) + toNanoUsd(before.reservedUsd) + toNanoUsd(step.reserve) <= limitNano;
      const granted = await budgets.reserve('f', limit, step.reserve, 'm').then(
        (reservation) => (open.push(reservation), true),
        () => false,
      );
      assert.equal(granted, fits, `reserve ${step.reserve} with ${before.spentUsd} spent, ${before.reservedUsd} reserved of ${limitUsd}`);
    } else if (open.length > 0) {
      const [reservation] = open.splice(step.settle % open.length, 1);
      const reservedUsd = reservation!.amountNano / 1e9;
      await budgets.settle(reservation!, step.share === null ? undefined : reservedUsd * step.share);
    }
    const after = await budgets.read('f', limit);
    assert.ok(toNanoUsd(after.spentUsd) + toNanoUsd(after.reservedUsd) <= limitNano, `spent ${after.spentUsd} + reserved ${after.reservedUsd} > ${limitUsd}`);
  }
  for (const reservation of open.splice(0)) await budgets.settle(reservation, 0);
  assert.equal((await budgets.read('f', limit)).reservedUsd, 0);
}

const usd = fc.double({ min: 1e-7, max: 0.5, noNaN: true });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  usd.map((reserve) => ({ reserve })),
  fc.record({ settle: fc.nat(50), share: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }) }),
);

describe('spend budget arithmetic', () => {
  test('spend + reservations never pass the limit; granted iff it fits; all settled leaves nothing reserved', async () => {
    await fc.assert(
      fc.asyncProperty(usd, fc.array(stepArb, { maxLength: 60 }), (limitUsd, steps) => check({ limitUsd, steps })),
      { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 8_000 },
    );
  });

  const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/spend-budget-corpus.json', import.meta.url), 'utf8')) as Case[];
  for (const [index, entry] of corpus.entries()) {
    test(`corpus ${index}: ${entry.note ?? 'replay'}`, () => check(entry));
  }
});
