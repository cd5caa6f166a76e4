// The fast path: decides from the raw bytes, in one scan and without decoding or allocating, that a line is
// a valid example with nothing to report. It returns a format only when it is certain that the reference
// checks (JSON.parse + schema.ts) would find no problem at all; anything unusual — escapes in keys, tool
// calls, content lists, empty strings, a weight other than a bare 0 or 1, a syntax error — returns
// FAST_UNSURE and the line goes through the reference checks. Property tests hold the two together.
//
// Reads past the line hit "\n", "\r" or the end of the view (undefined), and each fails every test below,
// so scans stop at the line's end without bounds checks; the `!` assertions let undefined through on purpose.
import { skipJsonValue } from './scan.js';

export const FAST_UNSURE = 0;
export const FAST_TEXT = 1;
export const FAST_CONVERSATION = 2;
export const FAST_INSTRUCTION = 3;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LF = 0x0a;
const CR = 0x0d;

const TOP_MESSAGES = 1;
const TOP_TEXT = 2;
const TOP_PROMPT = 4;
const TOP_COMPLETION = 8;
const TOP_WEIGHT = 16;

const R_SYSTEM = 1;
const R_USER = 2;
const R_ASSISTANT = 3;

/** 0 for a byte that may appear raw inside a JSON string; the quote, backslash and controls stop a scan. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

/** 1 for the bytes after a backslash that make a two-byte escape: " \\ / b f n r t. */
const SHORT_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SHORT_ESCAPE[c.charCodeAt(0)] = 1;

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const MESSAGES = encode('messages');
const TEXT = encode('text');
const PROMPT = encode('prompt');
const COMPLETION = encode('completion');
const TOOL_CALLS = encode('tool_calls');
const REASONING = encode('reasoning');
const REASONING_CONTENT = encode('reasoning_content');
const WEIGHT = encode('weight');
// Message keys and role values with their closing quote: their first four bytes compared as one word, the rest bytewise.
const ROLE_KEY = encode('role"');
const CONTENT_KEY = encode('content"');
const WEIGHT_KEY = encode('weight"');
const USER_VALUE = encode('user"');
const ASSISTANT_VALUE = encode('assistant"');
const SYSTEM_VALUE = encode('system"');
const W_ROLE = wordOf('role');
const W_CONT = wordOf('cont');
const W_ENT_ = wordOf('ent"');
const W_WEIG = wordOf('weig');
const HT_ = encode('ht"');
const W_USER = wordOf('user');
const W_ASSI = wordOf('assi');
const STANT_ = encode('stant"');
const W_SYST = wordOf('syst');
const EM_ = encode('em"');
const M_OTHER = 0;
const M_ROLE = 1;
const M_CONTENT = 2;
const M_WEIGHT = 3;
const KEY_LENGTHS = [0, ROLE_KEY.length, CONTENT_KEY.length, WEIGHT_KEY.length];

const ROLE_LENGTHS = [0, SYSTEM_VALUE.length, USER_VALUE.length, ASSISTANT_VALUE.length];

/**
 * A message's start exactly as JSON.stringify writes it, up to the content's opening quote: most files are
 * written that way, and one comparison of CANONICAL_WORDS words replaces parsing its two keys and role.
 */
const CANONICAL_WORDS = 8;
/** Indexed by role (R_SYSTEM, R_USER, R_ASSISTANT): `{"role":"ROLE","content":"`, at most CANONICAL_WORDS * 4 bytes. */
const CANONICAL = ['', 'system', 'user', 'assistant'].map((role) => encode(`{"role":"${role}","content":"`));
/**
 * Per role, CANONICAL_WORDS little-endian words of its canonical start (zero-padded) and a mask of the bytes that
 * count in each: a message matches when every masked word is equal, whatever follows the start.
 */
const CANONICAL_TEXT = new Int32Array(4 * CANONICAL_WORDS);
const CANONICAL_MASK = new Int32Array(4 * CANONICAL_WORDS);
for (let role = R_SYSTEM; role <= R_ASSISTANT; role++) {
  const start = CANONICAL[role]!;
  for (let k = 0; k < CANONICAL_WORDS * 4; k++) {
    const word = role * CANONICAL_WORDS + (k >> 2);
    const shift = (k & 3) * 8;
    if (k < start.length) {
      CANONICAL_TEXT[word] = CANONICAL_TEXT[word]! | (start[k]! << shift);
      CANONICAL_MASK[word] = CANONICAL_MASK[word]! | (0xff << shift);
    }
  }
}
/** The role whose canonical start has this byte at offset ROLE_BYTE (the role's first letter), else 0. */
const ROLE_BYTE = 9;
const ROLE_BY_BYTE = new Uint8Array(256);
for (let role = R_SYSTEM; role <= R_ASSISTANT; role++) ROLE_BY_BYTE[CANONICAL[role]![ROLE_BYTE]!] = role;

let lastMessages = 0;
let lastNewline = 0;
/** The role of the message canonicalMessageEnd last accepted. */
let lastRole = 0;

/** b[at, at + word.length) equals word. */
function same(b: Uint8Array, at: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

// Keys, roles and string bodies are read a 32-bit word at a time through a DataView of the same memory (unaligned
// reads, so a scan resumes right after an escape without a byte-by-byte lead-in).
let viewOf: Uint8Array | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));
/** The last index a four-byte read from b may start at. */
let lastWord = -1;

/** Points the DataView at b (fastLine does, before any scan). */
function useView(b: Uint8Array): void {
  if (b === viewOf) return;
  viewOf = b;
  view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  lastWord = b.length - 4;
}

/** The four bytes at b[i] as a little-endian int32 (0, which no key or role begins with, past the end). */
function wordAt(i: number): number {
  return i <= lastWord ? view.getInt32(i, true) : 0;
}

/** Four bytes as wordAt reads them. */
function wordOf(text: string): number {
  return new DataView(encode(text).buffer).getInt32(0, true);
}

/** The lowest flagged byte's offset in a stop mask (see stopMask). */
function firstFlagged(m: number): number {
  return (31 - Math.clz32(m & -m)) >> 3;
}

/**
 * Flags (0x80 in its byte) each byte of the little-endian word w that is < 0x20, == 0x22 or == 0x5c (bit tricks:
 * "has less than", "has zero byte"). A borrow can only flag a byte above a flagged one, so the lowest flag is the
 * first stop.
 */
function stopMask(w: number): number {
  const q = w ^ 0x22222222;
  const e = w ^ 0x5c5c5c5c;
  return (((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((e - 0x01010101) & ~e)) & 0x80808080;
}

/** i at an opening quote: the index after the closing quote, or -1 (control character, bad escape, line end). */
function stringEnd(b: Uint8Array, i: number): number {
  i++;
  for (;;) {
    // Ordinary bytes eight at a time; two-byte escapes are stepped over without leaving the loop.
    while (i <= lastWord - 4) {
      let m = stopMask(view.getInt32(i, true));
      if (m === 0) {
        m = stopMask(view.getInt32(i + 4, true));
        if (m === 0) {
          i += 8;
          continue;
        }
        i += 4;
      }
      i += firstFlagged(m);
      if (b[i] !== BACKSLASH || SHORT_ESCAPE[b[i + 1]!] !== 1) break;
      i += 2;
    }
    // The last bytes of the view, or a stop that is not a two-byte escape.
    while (STRING_STOP[b[i]!] === 0) i++;
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c !== BACKSLASH) return -1;
    const d = b[i + 1]!;
    if (SHORT_ESCAPE[d] === 1) {
      i += 2;
    } else if (d === 0x75) {
      if (!isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
      i += 6;
    } else {
      return -1;
    }
  }
}

/** i at an opening quote of a string without escapes (a key, a role): the index after it, or -1. */
function plainStringEnd(b: Uint8Array, i: number): number {
  let c = b[++i]!;
  while (STRING_STOP[c] === 0) c = b[++i]!;
  return c === QUOTE ? i + 1 : -1;
}

function skipSpace(b: Uint8Array, i: number): number {
  let c = b[i];
  while (c === 0x20 || c === 0x09) c = b[++i];
  return i;
}

/** The role when b[i] starts a message written as JSON.stringify writes it (CANONICAL), else 0. */
function canonicalRole(b: Uint8Array, i: number): number {
  // Near the end of the view the message is parsed key by key instead.
  if (i > lastWord - (CANONICAL_WORDS - 1) * 4) return 0;
  const role = ROLE_BY_BYTE[b[i + ROLE_BYTE]!]!;
  if (role === 0) return 0;
  // One branch for the whole start: the words' differences, masked, ORed together.
  const at = role * CANONICAL_WORDS;
  let diff = 0;
  for (let k = 0; k < CANONICAL_WORDS; k++) diff |= (view.getInt32(i + k * 4, true) ^ CANONICAL_TEXT[at + k]!) & CANONICAL_MASK[at + k]!;
  return diff === 0 ? role : 0;
}

/**
 * b[i] at "{": the index after a message written as JSON.stringify writes it with nothing but a role and a
 * non-empty content, or -1 (then the message is parsed key by key). Sets lastRole.
 */
function canonicalMessageEnd(b: Uint8Array, i: number): number {
  const role = canonicalRole(b, i);
  if (role === 0) return -1;
  const quote = i + CANONICAL[role]!.length - 1;
  if (b[quote + 1] === QUOTE) return -1;
  const end = stringEnd(b, quote);
  if (end < 0 || b[end] !== 0x7d) return -1;
  lastRole = role;
  return end + 1;
}

/** i at "[": the index after the messages array of a clean conversation, or -1. Sets lastMessages. */
function messagesEnd(b: Uint8Array, i: number, allowSameRoleRuns: boolean): number {
  if (b[i] !== 0x5b) return -1;
  i = skipSpace(b, i + 1);
  let previous = 0;
  let assistant = false;
  let count = 0;
  for (;;) {
    if (b[i] !== 0x7b) return -1;
    let role = 0;
    let content = false;
    let weight = false;
    const end = canonicalMessageEnd(b, i);
    if (end >= 0) {
      role = lastRole;
      content = true;
      i = end;
    } else {
      i = skipSpace(b, i + 1);
    }
    // Key by key, unless the message was canonical.
    while (end < 0) {
      if (b[i] !== QUOTE) return -1;
      // The usual keys are matched with their closing quote in one comparison; others are scanned.
      const key = i + 1;
      let member: number;
      const head = wordAt(key);
      if (head === W_ROLE && b[key + 4] === QUOTE) member = M_ROLE;
      else if (head === W_CONT && wordAt(key + 4) === W_ENT_) member = M_CONTENT;
      else if (head === W_WEIG && same(b, key + 4, HT_)) member = M_WEIGHT;
      else member = M_OTHER;
      if (member !== M_OTHER) {
        i = key + KEY_LENGTHS[member]!;
      } else {
        i = plainStringEnd(b, i);
        if (i < 0) return -1;
        const length = i - 1 - key;
        if (length === 10 && same(b, key, TOOL_CALLS)) return -1;
        // Reasoning has rules of its own (and tells --model which models fit): the reference checks decide.
        if ((length === 9 && same(b, key, REASONING)) || (length === 17 && same(b, key, REASONING_CONTENT))) return -1;
      }
      i = skipSpace(b, i);
      if (b[i] !== COLON) return -1;
      i = skipSpace(b, i + 1);
      if (member === M_ROLE) {
        if (role !== 0 || b[i] !== QUOTE) return -1;
        const value = i + 1;
        const head = wordAt(value);
        if (head === W_USER && b[value + 4] === QUOTE) role = R_USER;
        else if (head === W_ASSI && same(b, value + 4, STANT_)) role = R_ASSISTANT;
        else if (head === W_SYST && same(b, value + 4, EM_)) role = R_SYSTEM;
        else return -1; // "tool" and anything else: the reference checks decide
        i = value + ROLE_LENGTHS[role]!;
      } else if (member === M_CONTENT) {
        if (content || b[i] !== QUOTE || b[i + 1] === QUOTE) return -1;
        i = stringEnd(b, i);
        if (i < 0) return -1;
        content = true;
      } else if (member === M_WEIGHT) {
        // Only a bare 0 or 1: "1.0", "10" fail the member check below; "-0", true go to the reference.
        const c = b[i];
        if (weight || (c !== 0x30 && c !== 0x31)) return -1;
        i++;
        weight = true;
      } else {
        i = skipJsonValue(b, i);
        if (i < 0) return -1;
      }
      i = skipSpace(b, i);
      const c = b[i];
      if (c === COMMA) {
        i = skipSpace(b, i + 1);
        continue;
      }
      if (c !== 0x7d) return -1;
      i++;
      break;
    }
    if (role === 0 || !content || (role === previous && !allowSameRoleRuns)) return -1;
    if (role === R_ASSISTANT) assistant = true;
    previous = role;
    count++;
    i = skipSpace(b, i);
    const c = b[i];
    if (c === COMMA) {
      i = skipSpace(b, i + 1);
      continue;
    }
    if (c !== 0x5d) return -1;
    i++;
    break;
  }
  if (!assistant) return -1;
  lastMessages = count;
  return i;
}

/**
 * Checks the line starting at `start` (up to the next LF or the end of `b`): FAST_TEXT, FAST_CONVERSATION
 * or FAST_INSTRUCTION when it is certainly a valid example with no warning, else FAST_UNSURE. On success,
 * fastNewline() is the index of the line's LF (or b.length). Assumes the bytes are valid UTF-8.
 */
/** i at a number: the index after it when it is a plain non-negative decimal (digits, maybe a fraction), else -1. */
function plainNonNegativeEnd(b: Uint8Array, i: number): number {
  let c = b[i]!;
  if (c < 0x30 || c > 0x39) return -1;
  const first = c;
  c = b[++i]!;
  if (first === 0x30 && c >= 0x30 && c <= 0x39) return -1; // a leading zero: JSON forbids it
  while (c >= 0x30 && c <= 0x39) c = b[++i]!;
  if (c === 0x2e) {
    c = b[++i]!;
    if (c < 0x30 || c > 0x39) return -1;
    while (c >= 0x30 && c <= 0x39) c = b[++i]!;
  }
  return i;
}

export function fastLine(b: Uint8Array, start: number, allowSameRoleRuns: boolean, allowSampleWeight = false): number {
  useView(b);
  let i = skipSpace(b, start);
  if (b[i] !== 0x7b) return FAST_UNSURE;
  i = skipSpace(b, i + 1);
  let seen = 0;
  for (;;) {
    if (b[i] !== QUOTE) return FAST_UNSURE;
    const key = i + 1;
    i = plainStringEnd(b, i);
    if (i < 0) return FAST_UNSURE;
    const length = i - 1 - key;
    i = skipSpace(b, i);
    if (b[i] !== COLON) return FAST_UNSURE;
    i = skipSpace(b, i + 1);
    let member: number;
    if (length === 8 && same(b, key, MESSAGES)) member = TOP_MESSAGES;
    else if (length === 4 && same(b, key, TEXT)) member = TOP_TEXT;
    else if (length === 6 && same(b, key, PROMPT)) member = TOP_PROMPT;
    else if (length === 10 && same(b, key, COMPLETION)) member = TOP_COMPLETION;
    else if (length === 6 && allowSampleWeight && same(b, key, WEIGHT)) member = TOP_WEIGHT;
    else return FAST_UNSURE;
    if ((seen & member) !== 0) return FAST_UNSURE;
    seen |= member;
    if (member === TOP_MESSAGES) {
      i = messagesEnd(b, i, allowSameRoleRuns);
    } else if (member === TOP_WEIGHT) {
      i = plainNonNegativeEnd(b, i);
    } else {
      if (b[i] !== QUOTE || b[i + 1] === QUOTE) return FAST_UNSURE;
      i = stringEnd(b, i);
    }
    if (i < 0) return FAST_UNSURE;
    i = skipSpace(b, i);
    const c = b[i];
    if (c === COMMA) {
      i = skipSpace(b, i + 1);
      continue;
    }
    if (c !== 0x7d) return FAST_UNSURE;
    i = skipSpace(b, i + 1);
    break;
  }
  const end = b[i];
  if (end === LF) lastNewline = i;
  else if (end === CR && b[i + 1] === LF) lastNewline = i + 1;
  else if (i === b.length) lastNewline = i;
  else return FAST_UNSURE;
  const keys = seen & ~TOP_WEIGHT;
  if (keys === TOP_MESSAGES) return FAST_CONVERSATION;
  if (keys === TOP_TEXT) return FAST_TEXT;
  if (keys === (TOP_PROMPT | TOP_COMPLETION)) return FAST_INSTRUCTION;
  return FAST_UNSURE;
}

/** Where the line fastLine last accepted ends: the index of its LF, or the end of the bytes. */
export function fastNewline(): number {
  return lastNewline;
}

/** The number of messages of the conversation fastLine last accepted. */
export function fastMessageCount(): number {
  return lastMessages;
}
