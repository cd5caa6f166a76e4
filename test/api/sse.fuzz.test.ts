// Property tests for the SSE reader (issue 15): whatever bytes an upstream streams, in whatever chunks, parseSSE ends
// with its values or an SSEStreamError of a known kind — never another exception — and stops an event that grows past
// maxEventBytes (and only such an event). With a scrubber, no form of the key reaches a value or an error.
// Every input that ever failed stays in test/fixtures/fuzz/sse-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isSSEStreamError, parseSSE } from '../../src/api/index.js';
import { createScrubber } from '../../src/errors/index.js';
import { leakedForms, secretForms } from '../support/hostile-upstream.js';

const SEED = 20261207;
const KEY = 'tgp_v1_FUZZ+sse/0123456789_abcXYZ';
const FORMS = secretForms(KEY);
const KINDS = new Set(['cut', 'error_event', 'malformed', 'too_large']);
const scrubber = createScrubber([KEY]);

interface Case {
  note?: string;
  chunks: string[];
  max: number;
}

/** The lengths of the events (text between blank lines, the unfinished tail included) of a whole stream. */
function eventLengths(text: string): number[] {
  const lengths: number[] = [];
  let start = 0;
  const ends = /\n\n|\r\r|\n\r/g;
  for (let match = ends.exec(text); match !== null; match = ends.exec(text)) {
    lengths.push(match.index - start);
    start = Math.max(start, match.index + 2);
  }
  lengths.push(text.length - start);
  return lengths;
}

async function* source(chunks: readonly string[], asBytes: boolean): AsyncGenerator<Uint8Array | string> {
  for (const chunk of chunks) yield asBytes ? Buffer.from(chunk, 'utf8') : chunk;
}

/** Runs one stream through parseSSE and checks every property; returns how it ended. */
async function check(c: Case, asBytes = false): Promise<string> {
  const chunks = c.chunks.map((chunk) => chunk.replace(/\{\{(\w+)\}\}/g, (_, name: string) => FORMS[name] ?? name));
  const values: unknown[] = [];
  let ending = 'done';
  try {
    for await (const value of parseSSE(source(chunks, asBytes), { maxEventBytes: c.max, scrub: scrubber.exact })) values.push(value);
  } catch (error) {
    assert.ok(isSSEStreamError(error), `only SSEStreamErrors are thrown, got ${String(error)}`);
    assert.ok(KINDS.has(error.kind), error.kind);
    ending = error.kind;
    assert.deepEqual(leakedForms(`${error.message} ${JSON.stringify(error.data ?? '')} ${JSON.stringify(error.error ?? '')}`, KEY), []);
  }
  const text = chunks.join('');
  // Bytes are decoded as UTF-8 (a lone surrogate becomes 3 bytes → 1 character): only strings are measured exactly.
  if (ending === 'too_large' && !asBytes) assert.ok(Math.max(...eventLengths(text)) > c.max, 'stopped only an event over the limit');
  if (!asBytes && Math.max(...eventLengths(text)) <= c.max) assert.notEqual(ending, 'too_large');
  assert.deepEqual(leakedForms(JSON.stringify(values), KEY), [], 'no key form in a value');
  return ending;
}

const lineEnd = fc.constantFrom('\n', '\r', '\r\n');
const dataValue = fc.oneof(
  fc.json({ maxDepth: 2 }),
  fc.constantFrom('[DONE]', '{"choices":[{"delta":{"content":"hi"}}]}', '{"error":{"message":"boom"}}', 'not json'),
  fc.constantFrom(...Object.values(FORMS)).map((form) => JSON.stringify({ choices: [{ delta: { content: `key ${form}` } }] })),
  fc.string({ unit: 'binary', maxLength: 120 }),
);
const field = fc.oneof(
  dataValue.map((value) => `data: ${value}`),
  fc.constantFrom(': keep-alive', 'event: error', 'event: ping', 'id: 7', 'retry: 10'),
  fc.string({ maxLength: 30 }),
);
const event = fc.tuple(fc.array(fc.tuple(field, lineEnd), { minLength: 1, maxLength: 4 }), lineEnd, fc.boolean()).map(
  ([lines, end, closed]) => lines.map(([text, eol]) => text + eol).join('') + (closed ? end : ''),
);
/** A stream cut into chunks at random places. */
const stream = fc
  .tuple(fc.array(event, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 8, max: 300 }))
  .map(([events, cuts, max]) => {
    const text = events.join('');
    const chunks: string[] = [];
    let at = 0;
    for (let i = 0; at < text.length; i++) {
      const size = cuts[i % cuts.length]!;
      chunks.push(text.slice(at, at + size));
      at += size;
    }
    return { chunks, max };
  });

describe('parseSSE under fuzzing', () => {
  const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/sse-corpus.json', import.meta.url), 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note ?? JSON.stringify(c.chunks).slice(0, 60)}`, async () => {
      await check(c);
      await check(c, true);
    });
  }

  test('the corpus endless line and line-only streams are stopped as too_large', async () => {
    assert.equal(await check(corpus[0]!), 'too_large');
    assert.equal(await check(corpus[1]!), 'too_large');
  });

  test('random streams in random chunks: known endings only, the size bound exact, no key form', async () => {
    const endings = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(stream, fc.boolean(), async (c, asBytes) => {
        const ending = await check(c, asBytes);
        endings.set(ending, (endings.get(ending) ?? 0) + 1);
      }),
      { numRuns: 300, seed: SEED, interruptAfterTimeLimit: 8000 },
    );
    // The generator reaches every ending, the size bound included (else the property above proves little).
    for (const kind of ['done', 'cut', 'malformed', 'too_large']) assert.ok((endings.get(kind) ?? 0) > 0, `${kind}: ${JSON.stringify([...endings])}`);
  });
});
