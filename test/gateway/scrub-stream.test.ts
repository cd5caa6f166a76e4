// The streaming scrubber: whatever the chunk boundaries, what goes out is the whole text scrubbed, and no form of a
// key is ever sent, even cut across chunks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scrubberFor } from '../../src/errors/index.js';
import { createStreamScrubber } from '../../src/gateway/scrub-stream.js';

const KEY = 'tk-stream-secret-0123456789abcdef0123456789abcdef';
const scrubber = scrubberFor([KEY]);

function run(pieces: string[], window?: number): string {
  const scrub = createStreamScrubber(scrubber, window);
  let out = '';
  for (const piece of pieces) out += scrub.push(piece);
  return out + scrub.end();
}

describe('stream scrubber', () => {
  const forms = [KEY, Buffer.from(KEY).toString('base64'), encodeURIComponent(`Bearer ${KEY}`)];
  const text = `{"line":1}\n${'x'.repeat(300)}${forms[0]}${'y'.repeat(50)}\n${forms[1]} and ${forms[2]}\n${'z'.repeat(200)}`;

  /** No form of the key, and the text around the keys intact (a base64 form may leave its padding behind). */
  function assertClean(out: string, label: string): void {
    assert.ok(!scrubber.contains(out), `${label}: a key form went out`);
    assert.ok(!out.includes(KEY.slice(0, 24)), `${label}: part of the key went out`);
    assert.ok(out.startsWith(`{"line":1}\n${'x'.repeat(300)}[redacted]${'y'.repeat(50)}\n[redacted]`), label);
    assert.ok(out.endsWith(` and Bearer%20[redacted]\n${'z'.repeat(200)}`), label);
  }

  test('a key split at any position between two pieces is scrubbed', () => {
    assertClean(scrubber.exact(text), 'whole');
    for (const window of [128, undefined]) {
      for (let cut = 0; cut <= text.length; cut += window === undefined ? 3 : 1) assertClean(run([text.slice(0, cut), text.slice(cut)], window), `cut at ${cut}, window ${String(window)}`);
    }
  });

  test('one character at a time, and in uneven pieces', () => {
    assertClean(run([...text], 128), 'one at a time');
    const pieces: string[] = [];
    for (let i = 0, size = 1; i < text.length; i += size, size = (size * 7) % 61 + 1) pieces.push(text.slice(i, i + size));
    assertClean(run(pieces, 128), 'uneven');
  });

  test('text without keys passes unchanged, and most of it goes out before the end', () => {
    const plain = 'a'.repeat(20_000);
    const scrub = createStreamScrubber(scrubber);
    const early = scrub.push(plain);
    assert.ok(early.length >= plain.length - 8192, `only ${early.length} characters out before the end`);
    assert.equal(early + scrub.end(), plain);
  });
});
