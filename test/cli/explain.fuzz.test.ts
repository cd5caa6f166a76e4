// Property tests for `tether explain`'s inputs (issue 15): whatever status, headers and body (or saved response)
// it is given, it prints terminal-safe text or stops with a usage error (exit 2); nothing else, never a crash.
// Every input that ever failed stays in test/fixtures/fuzz/explain-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { explainReport, explainSavedResponse } from '../../src/cli/commands/explain.js';
import type { ExplainOptions } from '../../src/cli/commands/explain.js';
import { UsageError } from '../../src/cli/exit-codes.js';
import { formatDuration } from '../../src/errors/index.js';

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/; // eslint-disable-line no-control-regex
const SEED = 20261207;

interface Case {
  note: string;
  status?: string;
  headers?: string[];
  body?: string;
  saved?: string;
}

/** The outcome the CLI turns into an exit code: 0 with safe text, or 2 for a UsageError. Anything else throws. */
function outcome(run: () => string, json: boolean): 0 | 2 {
  let text: string;
  try {
    text = run();
  } catch (error) {
    if (error instanceof UsageError) {
      assert.doesNotMatch(error.message, UNSAFE, 'a usage message is printed too');
      return 2;
    }
    throw error;
  }
  assert.doesNotMatch(json ? text.replace(/\n/g, '') : text.replace(/\n/g, ''), UNSAFE);
  if (json) JSON.parse(text);
  if (!json) {
    for (const line of text.split('\n').filter((l) => /^(fix|retry after) /.test(l))) {
      assert.doesNotMatch(line.replace(/https?:\S+/g, ''), /\d{10,}|e\+\d/, 'no runaway wait is printed');
    }
  }
  return 0;
}

function fromFlags(c: { status: string; headers: string[]; body?: string | undefined; json: boolean }): 0 | 2 {
  const options: ExplainOptions = { status: c.status, header: c.headers, json: c.json, ...(c.body === undefined ? {} : { body: c.body }) };
  return outcome(() => explainReport(options), c.json);
}

function fromSaved(saved: string, json: boolean): 0 | 2 {
  return outcome(() => explainSavedResponse(Buffer.from(saved, 'utf8'), json), json);
}

/** Text with terminal controls mixed in: the alphabet a hostile server answers in. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('\x1b]0;pwned\x07', '\x1b[2J', '\x1b[H', '\u009b', '\u202e', '\u2066', '\r', '\n', '\x00', '\x7f', '"', '{', '}', ':'),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

const body = fc.oneof(
  hostileText,
  fc.record({ message: hostileText, type: fc.option(hostileText, { nil: undefined }), code: fc.option(hostileText, { nil: undefined }) }).map((e) => JSON.stringify({ error: e })),
  hostileText.map((m) => JSON.stringify({ message: m })),
).filter((b) => !b.startsWith('@')); // `@path` reads a file: not this test's business

const headerLine = fc.oneof(
  fc.tuple(fc.constantFrom('retry-after', 'retry-after-ms', 'x-ratelimit-reset', 'x-request-id', 'x-together-traceid', 'content-type'), fc.oneof(hostileText, fc.double().map(String), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String))).map(([n, v]) => `${n}: ${v}`),
  hostileText,
);

const status = fc.oneof(fc.integer({ min: 100, max: 599 }).map(String), fc.constantFrom('400', '401', '402', '404', '429', '500', '503'), hostileText);

describe('tether explain, fuzzed', () => {
  const corpus = JSON.parse(readFileSync('test/fixtures/fuzz/explain-corpus.json', 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note}`, () => {
      for (const json of [false, true]) {
        if (c.saved !== undefined) fromSaved(c.saved, json);
        else fromFlags({ status: c.status ?? '500', headers: c.headers ?? [], body: c.body, json });
      }
    });
  }

  test('status, headers and body: safe text or a usage error, never a crash', () => {
    fc.assert(
      fc.property(status, fc.array(headerLine, { maxLength: 4 }), fc.option(body, { nil: undefined }), fc.boolean(), (s, headers, b, json) => {
        fromFlags({ status: s, headers, body: b, json });
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  test('a saved response of any shape: safe text or a usage error', () => {
    const saved = fc.oneof(
      hostileText,
      fc
        .tuple(fc.integer({ min: 100, max: 599 }), hostileText, fc.array(headerLine, { maxLength: 4 }), body)
        .map(([code, reason, headers, b]) => `HTTP/1.1 ${code} ${reason.replace(/[\r\n]/g, '')}\r\n${headers.map((h) => h.replace(/[\r\n]/g, '')).join('\r\n')}\r\n\r\n${b}`),
    );
    fc.assert(
      fc.property(saved, fc.boolean(), (text, json) => {
        fromSaved(text, json);
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  test('formatDuration: any number reads as a bounded human duration', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: 0, max: 10 ** 9 })), (ms) => {
        const text = formatDuration(ms);
        assert.doesNotMatch(text, /e[+-]\d|NaN|Infinity|\d{7,}/);
        assert.ok(text.length <= 24, text);
      }),
      { seed: SEED, numRuns: 300 },
    );
    assert.equal(formatDuration(1e24), 'more than 365 days');
    assert.equal(formatDuration(9_000_000), '2 h 30 min');
    assert.equal(formatDuration(200_000_000), '2 days 8 h');
    assert.equal(formatDuration(-999_999.5), '0 ms'); // once shrunk from a failing run: '-1000000 ms'
  });
});
