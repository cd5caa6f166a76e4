// Issue 15, "make the class impossible": the JSONL validator's fast path (a byte scanner that accepts a line only when
// it is certain the reference checks would find nothing) must give the same report as the reference path (JSON.parse
// + the schema rules) on any bytes, hostile ones included: invalid or overlong UTF-8, UTF-8-encoded and escaped lone
// surrogates, NUL and other controls, BOMs, lone CRs, duplicate and escaped keys, `__proto__`, numbers like 1e400
// and -0, non-JSON whitespace, truncation. checkContent runs both paths on one file and asserts the reports are equal.
// Every input that ever failed stays in test/fixtures/fuzz/jsonl-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { checkContent } from './helpers.js';

interface CorpusCase {
  note: string;
  /** The file's content as text, or as base64 when it is not valid UTF-8. */
  text?: string;
  base64?: string;
  profile?: 'current' | 'legacy';
  allowSameRoleRuns?: boolean;
}

const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/jsonl-corpus.json', import.meta.url), 'utf8')) as CorpusCase[];

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Byte sequences a hostile file carries, inserted anywhere in an otherwise plausible line. */
const HOSTILE: readonly Uint8Array[] = [
  bytes(0x00),
  bytes(0xff),
  bytes(0xc0, 0xaf), // overlong "/"
  bytes(0xe0, 0x80, 0xaf), // overlong, three bytes
  bytes(0xed, 0xa0, 0x80), // a UTF-16 surrogate encoded as UTF-8
  bytes(0xf4, 0x90, 0x80, 0x80), // past U+10FFFF
  bytes(0xe2, 0x82), // a cut character
  bytes(0xef, 0xbb, 0xbf), // BOM
  bytes(0x0d),
  bytes(0x0c), // form feed: not JSON whitespace
  bytes(0x0b),
  bytes(0x7f),
  utf8('\u00a0'),
  utf8('\u2028'),
  utf8('\\ud800'),
  utf8('\\udc00\\ud800'),
  utf8('\\u0000'),
  utf8('\\u0061'),
  utf8('\\"'),
  utf8('\\'),
  utf8('1e400'),
  utf8('-0'),
  utf8('0.0'),
  utf8('1E0'),
  utf8('00'),
  utf8('"__proto__":{},'),
  utf8('"constructor":1,'),
  utf8('"messages":[],'),
  utf8('"weight":1e400,'),
  utf8('"weight":-0,'),
  utf8('"text":"x",'),
  utf8(',,'),
  utf8(',]'),
  utf8('/*'),
  utf8('[['),
  utf8('}'),
  utf8('"'),
  utf8(' '),
  utf8('\t'),
];

const roles = fc.constantFrom('user', 'assistant', 'system', 'tool', 'developer', 'User', '');
const content = fc.oneof(fc.constantFrom('hi', '', 'é', '🎉', 'a\\"b', '\u2028', '\ud800x'), fc.string({ maxLength: 6 }), fc.constant(null), fc.constant(1e300));
const message = fc.record({ role: roles, content, weight: fc.constantFrom(0, 1, -0, 0.5, 2) }, { requiredKeys: ['role', 'content'] });
/** A conversation the fast path takes as it is: the boundary the hostile splices then push on. */
const validConversation = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom('hi', 'é', '🎉', 'a\\"b', 'x y', '\u2028', '0'), { minLength: 1, maxLength: 2 }).map((texts) => texts.flatMap((text) => [text, text])), fc.constantFrom(0, 1))
  .map(([system, texts, weight]) => ({
    messages: [
      ...(system ? [{ role: 'system', content: 'be brief' }] : []),
      ...texts.map((text, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: text, ...(i % 2 === 1 ? { weight } : {}) })),
    ],
  }));
const example = fc.oneof(
  { weight: 4, arbitrary: validConversation },
  fc.record({ messages: fc.array(message, { maxLength: 4 }) }),
  fc.record({ messages: fc.array(message, { maxLength: 3 }), weight: fc.constantFrom(0, 1, 2.5, -1, 1e300) }),
  fc.record({ text: content }),
  fc.record({ prompt: content, completion: content }),
  fc.dictionary(fc.constantFrom('messages', 'text', 'prompt', 'completion', 'weight', '__proto__', 'constructor', 'tools'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** A plausible line with hostile bytes spliced in (or bytes replaced), sometimes cut short. */
const hostileLine = fc
  .tuple(
    example,
    fc.oneof(fc.constant([]), fc.array(fc.tuple(fc.nat(), fc.nat({ max: HOSTILE.length - 1 }), fc.boolean()), { minLength: 1, maxLength: 2 })),
    fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  )
  .map(([value, splices, cut]) => {
    let line = utf8(JSON.stringify(value));
    for (const [at, which, replace] of splices) {
      const i = at % (line.length + 1);
      const insert = HOSTILE[which]!;
      line = concat([line.subarray(0, i), insert, line.subarray(Math.min(line.length, i + (replace ? insert.length : 0)))]);
    }
    return cut === null ? line : line.subarray(0, cut % (line.length + 1));
  });

const separator = fc.constantFrom(utf8('\n'), utf8('\r\n'), utf8('\r'), utf8('\n\n'), utf8(' \n'), utf8('\n\r'));
const randomBytes = fc.uint8Array({ maxLength: 64 });

const file = fc.tuple(fc.array(fc.tuple(fc.oneof({ weight: 6, arbitrary: hostileLine }, { weight: 1, arbitrary: randomBytes }), separator), { minLength: 1, maxLength: 5 }), fc.boolean()).map(([lines, lastNewline]) => {
  const parts: Uint8Array[] = [];
  lines.forEach(([line, sep], index) => {
    parts.push(line);
    if (index < lines.length - 1 || lastNewline) parts.push(sep);
  });
  return concat(parts);
});

const options = fc.record({ profile: fc.constantFrom('current' as const, 'legacy' as const), allowSameRoleRuns: fc.boolean() });

describe('JSONL validator: fast path against the reference path, fuzzed', () => {
  test('hostile files get the same report from both paths', () => {
    fc.assert(
      fc.property(file, options, (content, rules) => {
        checkContent(content, rules);
      }),
      { numRuns: 300, seed: 20261207, interruptAfterTimeLimit: 6_000 },
    );
  });

  for (const entry of corpus) {
    test(`corpus: ${entry.note}`, () => {
      const content = entry.base64 !== undefined ? Uint8Array.from(Buffer.from(entry.base64, 'base64')) : utf8(entry.text ?? '');
      checkContent(content, { profile: entry.profile ?? 'current', allowSameRoleRuns: entry.allowSameRoleRuns ?? false });
    });
  }
});
