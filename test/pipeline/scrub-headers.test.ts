// An answer's headers lose every form of every known key before anyone sees them, and a clean answer costs no copy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createScrubber } from '../../src/errors/index.js';
import { scrubHeaders } from '../../src/pipeline/attempt.js';

const KEY = 'tgp_v1_exampleKeyForHeaderScrubbing01';
const scrubber = createScrubber([KEY]);

describe('scrubHeaders', () => {
  test('a clean answer comes back as the same object', () => {
    const headers = { 'content-type': 'application/json', 'x-ratelimit-limit': '10', 'x-request-id': 'req-123456789012345678901234567890' };
    assert.equal(scrubHeaders(headers, scrubber), headers);
  });

  test('the key in a value, in any form, or in a name, is removed', () => {
    const forms = [KEY, encodeURIComponent(`k=${KEY}&`), `"${JSON.stringify(KEY).slice(1, -1).replace(/_/g, '\\u005f')}"`, Buffer.from(KEY).toString('base64')];
    for (const form of forms) {
      const scrubbed = scrubHeaders({ 'content-type': 'application/json', 'x-echo': form }, scrubber);
      assert.ok(!JSON.stringify(scrubbed).includes(KEY), form);
      assert.match(scrubbed['x-echo']!, /\[redacted\]/, form);
      assert.equal(scrubbed['content-type'], 'application/json');
    }
    const named = scrubHeaders({ [`x-${KEY}`]: '1' }, scrubber);
    assert.deepEqual(Object.keys(named), ['x-[redacted]']);
  });

  test('no secrets: nothing is looked at', () => {
    const headers = { 'x-echo': KEY };
    assert.equal(scrubHeaders(headers, createScrubber([])), headers);
  });
});
