// Property test: whatever sequence of Together's answers the catalog learns from, the limit it plans with agrees
// with the newest answer (a success of t tokens: limit >= t; a refusal naming L: limit = L; a refusal of t tokens:
// limit < t), and stays a whole number. Inputs that ever failed are kept in
// test/fixtures/fuzz/context-limits-corpus.json and replayed one by one.
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ContextLimitLearner } from '../../src/catalog/context-limits.js';
import type { ContextObservation } from '../../src/catalog/context-limits.js';

const SEED = 20261207;
const MODEL = 'mistralai/Mistral-7B-Instruct-v0.1';

function check(published: number | undefined, observations: readonly ContextObservation[]): void {
  const learner = new ContextLimitLearner();
  for (const observation of observations) {
    const learned = learner.learn(MODEL, observation, published);
    const limit = learner.effective(MODEL, published);
    assert.equal(learned.after, limit);
    assert.ok(limit !== undefined && Number.isInteger(limit) && limit >= 0, `limit ${limit}`);
    if (observation.outcome === 'accepted') assert.ok(limit >= observation.tokens, `accepted ${observation.tokens}, planned ${limit}`);
    else if (observation.limit !== undefined) assert.equal(limit, observation.limit);
    else assert.ok(limit < observation.tokens, `refused ${observation.tokens}, planned ${limit}`);
  }
}

const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/context-limits-corpus.json', import.meta.url), 'utf8')) as Array<{
  note: string;
  published: number | undefined;
  observations: ContextObservation[];
}>;

describe('context-limits corpus', () => {
  for (const entry of corpus) test(entry.note, () => check(entry.published, entry.observations));
});

const tokens = fc.integer({ min: 1, max: 300_000 });
const observation: fc.Arbitrary<ContextObservation> = fc.oneof(
  fc.record({ outcome: fc.constant('accepted' as const), tokens }),
  fc.record({ outcome: fc.constant('rejected' as const), tokens }),
  fc.record({ outcome: fc.constant('rejected' as const), tokens, limit: tokens }),
);

test('the planned limit always agrees with the newest answer', () => {
  fc.assert(
    fc.property(fc.option(fc.integer({ min: 1, max: 300_000 }), { nil: undefined }), fc.array(observation, { minLength: 1, maxLength: 12 }), (published, observations) => {
      check(published, observations);
    }),
    { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 5_000 },
  );
});
