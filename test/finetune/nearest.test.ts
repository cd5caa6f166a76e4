import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commonPrefixLength, editDistance, nearestIds } from '../../src/finetune/index.js';

describe('editDistance', () => {
  test('counts single-character edits', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('', 'ab'), 2);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('ft-abc', 'ft-abd'), 1);
    assert.equal(editDistance('ft-abc', 'ft-ac'), 1);
  });

  test('is symmetric, zero only for equal strings, and at most the longer length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = editDistance(a, b);
        assert.equal(d, editDistance(b, a));
        assert.equal(d === 0, a === b);
        assert.ok(d <= Math.max(a.length, b.length));
        assert.ok(d >= Math.abs(a.length - b.length));
      }),
      { numRuns: 200 },
    );
  });
});

describe('nearestIds', () => {
  const ids = [
    'ft-fe94af08-1c61-41d2-8494-6d7ff5386262',
    'ft-fe94af08-9999-41d2-8494-000000000000',
    'ft-0a1b2c3d-1c61-41d2-8494-6d7ff5386262',
    'ft-77777777-aaaa-4bbb-8ccc-dddddddddddd',
  ];

  test('a truncated paste ranks the ids it starts first', () => {
    const ranked = nearestIds('ft-fe94af08-1c', ids);
    assert.equal(ranked[0], ids[0]);
    assert.equal(ranked[1], ids[1]);
  });

  test('a one-character typo ranks the intended id first, even over ids sharing a longer prefix', () => {
    const typo = 'ft-0a1b2c3d-1c61-41d2-8494-6d7ff5386263';
    assert.equal(nearestIds(typo, ids)[0], ids[2]);
    const early = 'ft-fe94af09-1c61-41d2-8494-6d7ff5386262';
    assert.equal(nearestIds(early, ids)[0], ids[0]);
  });

  test('ignores case and surrounding whitespace, drops duplicates, and handles no candidates', () => {
    assert.equal(nearestIds(`  ${ids[3]!.toUpperCase()}\n`, ids)[0], ids[3]);
    assert.deepEqual(nearestIds('x', ['b', 'a', 'b']).sort(), ['a', 'b']);
    assert.deepEqual(nearestIds('anything', []), []);
  });

  test('returns every distinct id once, with an exact match first', () => {
    const id = fc.stringMatching(/^[a-z0-9-]{1,10}$/);
    fc.assert(
      fc.property(fc.uniqueArray(id, { minLength: 1, maxLength: 12 }), fc.nat(), (candidates, pick) => {
        const target = candidates[pick % candidates.length]!;
        const ranked = nearestIds(target, [...candidates, target]);
        assert.deepEqual([...ranked].sort(), [...candidates].sort());
        assert.equal(ranked[0], target);
      }),
      { numRuns: 200 },
    );
  });

  test('commonPrefixLength', () => {
    assert.equal(commonPrefixLength('ft-abc', 'ft-abd'), 5);
    assert.equal(commonPrefixLength('', 'x'), 0);
  });
});
