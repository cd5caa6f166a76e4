// Byte-level JSON scanning of one line, without decoding it or building objects.
//
// fastCheckLine() is the fast path: it returns a format only when it is certain the line is a valid
// example that schema.ts would pass with no problem at all; anything unusual (escapes in keys, tool calls,
// content lists, empty strings, a weight other than a bare 0 or 1, a syntax error…) returns FAST_UNSURE
// and the caller runs the reference checks (JSON.parse + schema.ts). Tests check that both agree.
//
// The line is buf[start, end). The byte at `end` is always "\n", "\r" or past the view (undefined), and
// each of them fails every comparison below, so scans stop at the line's end without a bounds test.
// Uint8Array reads past the view yield undefined, which the `!` assertions let through on purpose.

let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let depth = 0;
/** Set by skipString when the string held an escape sequence. */
let escaped = false;
/** Messages in the last conversation fastCheckLine accepted. */
let lastMessages = 0;
/** Where the key readKey() last read starts. */
let keyFrom = 0;

const MAX_DEPTH = 200;

export const FAST_UNSURE = 0;
export const FAST_TEXT = 1;
export const FAST_CONVERSATION = 2;
export const FAST_INSTRUCTION = 3;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const KEY_MESSAGES = bytesOf('messages');
const KEY_TEXT = bytesOf('text');
const KEY_PROMPT = bytesOf('prompt');
const KEY_COMPLETION = bytesOf('completion');
const KEY_ROLE = bytesOf('role');
const KEY_CONTENT = bytesOf('content');
const KEY_WEIGHT = bytesOf('weight');
const KEY_TOOL_CALLS = bytesOf('tool_calls');
const ROLE_SYSTEM = bytesOf('system');
const ROLE_USER = bytesOf('user');
const ROLE_ASSISTANT = bytesOf('assistant');

const TOP_MESSAGES = 1;
const TOP_TEXT = 2;
const TOP_PROMPT = 4;
const TOP_COMPLETION = 8;

const R_SYSTEM = 1;
const R_USER = 2;
const R_ASSISTANT = 3;

/** True when buf[from, to) holds exactly `word`. */
function equals(from: number, to: number, word: Uint8Array): boolean {
  if (to - from !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[from + i] !== word[i]) return false;
  return true;
}

function skipWs(): void {
  let c = buf[pos];
  while (c === 0x20 || c === 0x09) c = buf[++pos];
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** pos at an opening quote; moves past the closing quote. False on a control character or a bad escape. */
function skipString(): boolean {
  let i = pos + 1;
  for (;;) {
    const c = buf[i]!;
    if (c === QUOTE) {
      pos = i + 1;
      return true;
    }
    if (c === BACKSLASH) {
      const d = buf[i + 1];
      if (d === 0x75) {
        if (!isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) return false;
        i += 6;
      } else if (d === QUOTE || d === BACKSLASH || d === 0x2f || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74) {
        i += 2;
      } else {
        return false;
      }
      escaped = true;
      continue;
    }
    // A raw control character, or the end of the line/view (undefined fails the comparison).
    if (!(c >= 0x20)) return false;
    i++;
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** RFC 8259 number grammar. */
function skipNumber(): boolean {
  let i = pos;
  if (buf[i] === 0x2d) i++;
  if (buf[i] === 0x30) i++;
  else if (buf[i]! >= 0x31 && buf[i]! <= 0x39) while (isDigit(buf[++i]));
  else return false;
  if (buf[i] === 0x2e) {
    if (!isDigit(buf[++i])) return false;
    while (isDigit(buf[++i]));
  }
  if (buf[i] === 0x65 || buf[i] === 0x45) {
    i++;
    if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
    if (!isDigit(buf[i])) return false;
    while (isDigit(buf[++i]));
  }
  pos = i;
  return true;
}

function skipWord(word: Uint8Array): boolean {
  for (let i = 0; i < word.length; i++) if (buf[pos + i] !== word[i]) return false;
  pos += word.length;
  return true;
}

const WORD_TRUE = bytesOf('true');
const WORD_FALSE = bytesOf('false');
const WORD_NULL = bytesOf('null');

/** Any JSON value; pos at its first byte. */
function skipValue(): boolean {
  const c = buf[pos];
  if (c === QUOTE) return skipString();
  if (c === OPEN_OBJECT) return skipObject();
  if (c === OPEN_ARRAY) return skipArray();
  if (c === 0x74) return skipWord(WORD_TRUE);
  if (c === 0x66) return skipWord(WORD_FALSE);
  if (c === 0x6e) return skipWord(WORD_NULL);
  return skipNumber();
}

function skipObject(): boolean {
  if (++depth > MAX_DEPTH) return false;
  pos++;
  skipWs();
  if (buf[pos] === CLOSE_OBJECT) {
    pos++;
    depth--;
    return true;
  }
  for (;;) {
    if (buf[pos] !== QUOTE || !skipString()) return false;
    skipWs();
    if (buf[pos] !== COLON) return false;
    pos++;
    skipWs();
    if (!skipValue()) return false;
    skipWs();
    const c = buf[pos];
    if (c === COMMA) {
      pos++;
      skipWs();
    } else if (c === CLOSE_OBJECT) {
      pos++;
      depth--;
      return true;
    } else {
      return false;
    }
  }
}

function skipArray(): boolean {
  if (++depth > MAX_DEPTH) return false;
  pos++;
  skipWs();
  if (buf[pos] === CLOSE_ARRAY) {
    pos++;
    depth--;
    return true;
  }
  for (;;) {
    if (!skipValue()) return false;
    skipWs();
    const c = buf[pos];
    if (c === COMMA) {
      pos++;
      skipWs();
    } else if (c === CLOSE_ARRAY) {
      pos++;
      depth--;
      return true;
    } else {
      return false;
    }
  }
}

/**
 * True when buf[start, end) is exactly one JSON value with optional spaces/tabs around it. Bytes after
 * `end` may be spaces or tabs (a trimmed line): a value cannot run across them, so they are harmless.
 */
export function isJsonText(bytes: Uint8Array, start: number, end: number): boolean {
  buf = bytes;
  pos = start;
  depth = 0;
  skipWs();
  if (!skipValue() || pos > end) return false;
  skipWs();
  return pos >= end;
}

/** A non-empty string without being its last byte at end-of-line; pos at the quote. */
function skipNonEmptyString(): boolean {
  return buf[pos] === QUOTE && buf[pos + 1] !== QUOTE && skipString();
}

/** Reads a key (no escapes allowed) and the colon after it; returns the key's [from, to) or -1. */
function readKey(): number {
  if (buf[pos] !== QUOTE) return -1;
  const from = pos + 1;
  escaped = false;
  if (!skipString() || escaped) return -1;
  const keyEnd = pos - 1;
  skipWs();
  if (buf[pos] !== COLON) return -1;
  pos++;
  skipWs();
  keyFrom = from;
  return keyEnd;
}

/** After a member's value: true when the object continues (a comma), false when it closed; -1 on error. */
function nextMember(close: number): number {
  skipWs();
  const c = buf[pos];
  if (c === COMMA) {
    pos++;
    skipWs();
    return 1;
  }
  if (c === close) {
    pos++;
    return 0;
  }
  return -1;
}

function readRole(): number {
  if (buf[pos] !== QUOTE) return 0;
  const from = pos + 1;
  escaped = false;
  if (!skipString() || escaped) return 0;
  const to = pos - 1;
  if (equals(from, to, ROLE_USER)) return R_USER;
  if (equals(from, to, ROLE_ASSISTANT)) return R_ASSISTANT;
  if (equals(from, to, ROLE_SYSTEM)) return R_SYSTEM;
  return 0; // "tool" and anything else: the reference checks decide.
}

/** One message object with a known role and non-empty string content; returns its role or 0. */
function scanMessage(): number {
  if (buf[pos] !== OPEN_OBJECT) return 0;
  pos++;
  skipWs();
  let role = 0;
  let content = false;
  let weight = false;
  for (;;) {
    const keyEnd = readKey();
    if (keyEnd < 0) return 0;
    const from = keyFrom;
    if (equals(from, keyEnd, KEY_ROLE)) {
      if (role !== 0) return 0;
      role = readRole();
      if (role === 0) return 0;
    } else if (equals(from, keyEnd, KEY_CONTENT)) {
      if (content || !skipNonEmptyString()) return 0;
      content = true;
    } else if (equals(from, keyEnd, KEY_WEIGHT)) {
      // Only a bare 0 or 1; "1.0", "-0", "10" or true fail the member check below or here.
      const c = buf[pos];
      if (weight || (c !== 0x30 && c !== 0x31)) return 0;
      pos++;
      weight = true;
    } else if (equals(from, keyEnd, KEY_TOOL_CALLS)) {
      return 0;
    } else if (!skipValue()) {
      return 0;
    }
    const more = nextMember(CLOSE_OBJECT);
    if (more < 0) return 0;
    if (more === 0) break;
  }
  return content ? role : 0;
}

function scanMessages(allowSameRoleRuns: boolean): boolean {
  if (buf[pos] !== OPEN_ARRAY) return false;
  pos++;
  skipWs();
  let previous = 0;
  let assistant = false;
  let count = 0;
  for (;;) {
    const role = scanMessage();
    if (role === 0 || (role === previous && !allowSameRoleRuns)) return false;
    if (role === R_ASSISTANT) assistant = true;
    previous = role;
    count++;
    const more = nextMember(CLOSE_ARRAY);
    if (more < 0) return false;
    if (more === 0) break;
  }
  lastMessages = count;
  return assistant;
}

/**
 * The fast path for one line: FAST_TEXT, FAST_CONVERSATION or FAST_INSTRUCTION when the line is certainly a
 * valid example with no warning, FAST_UNSURE otherwise. Assumes the bytes are valid UTF-8.
 */
export function fastCheckLine(bytes: Uint8Array, start: number, end: number, allowSameRoleRuns: boolean): number {
  buf = bytes;
  pos = start;
  depth = 0;
  skipWs();
  if (buf[pos] !== OPEN_OBJECT) return FAST_UNSURE;
  pos++;
  skipWs();
  let seen = 0;
  for (;;) {
    const keyEnd = readKey();
    if (keyEnd < 0) return FAST_UNSURE;
    const from = keyFrom;
    let key: number;
    if (equals(from, keyEnd, KEY_MESSAGES)) key = TOP_MESSAGES;
    else if (equals(from, keyEnd, KEY_TEXT)) key = TOP_TEXT;
    else if (equals(from, keyEnd, KEY_PROMPT)) key = TOP_PROMPT;
    else if (equals(from, keyEnd, KEY_COMPLETION)) key = TOP_COMPLETION;
    else return FAST_UNSURE;
    if ((seen & key) !== 0) return FAST_UNSURE;
    seen |= key;
    if (key === TOP_MESSAGES ? !scanMessages(allowSameRoleRuns) : !skipNonEmptyString()) return FAST_UNSURE;
    const more = nextMember(CLOSE_OBJECT);
    if (more < 0) return FAST_UNSURE;
    if (more === 0) break;
  }
  skipWs();
  if (pos !== end) return FAST_UNSURE;
  if (seen === TOP_MESSAGES) return FAST_CONVERSATION;
  if (seen === TOP_TEXT) return FAST_TEXT;
  if (seen === (TOP_PROMPT | TOP_COMPLETION)) return FAST_INSTRUCTION;
  return FAST_UNSURE;
}

/** The number of messages in the conversation fastCheckLine last accepted. */
export function fastMessageCount(): number {
  return lastMessages;
}

/** A key's name: the bytes themselves, or JSON-decoded when it holds escapes. */
function keyName(from: number, to: number, hadEscape: boolean): string {
  const raw = Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('utf8');
  return hadEscape ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/** Reads any key (escapes allowed) and its colon; returns the name or undefined on a syntax error. */
function readAnyKey(): string | undefined {
  if (buf[pos] !== QUOTE) return undefined;
  const from = pos + 1;
  escaped = false;
  if (!skipString()) return undefined;
  const name = keyName(from, pos - 1, escaped);
  skipWs();
  if (buf[pos] !== COLON) return undefined;
  pos++;
  skipWs();
  return name;
}

/** Walks an object's members, handing each key to `visit` (which must consume the value). */
function walkObject(visit: (key: string) => boolean): boolean {
  if (buf[pos] !== OPEN_OBJECT) return skipValue();
  pos++;
  skipWs();
  if (buf[pos] === CLOSE_OBJECT) {
    pos++;
    return true;
  }
  for (;;) {
    const key = readAnyKey();
    if (key === undefined || !visit(key)) return false;
    const more = nextMember(CLOSE_OBJECT);
    if (more < 0) return false;
    if (more === 0) return true;
  }
}

function walkMessages(path: string, out: Map<string, string>): boolean {
  if (buf[pos] !== OPEN_ARRAY) return skipValue();
  pos++;
  skipWs();
  if (buf[pos] === CLOSE_ARRAY) {
    pos++;
    return true;
  }
  for (let index = 0; ; index++) {
    const where = `${path}[${index}]`;
    const ok = walkObject((key) => {
      if (key !== 'weight') return skipValue();
      const from = pos;
      const c = buf[pos];
      if (c !== 0x2d && !isDigit(c)) return skipValue();
      if (!skipNumber()) return false;
      out.set(where, Buffer.from(buf.buffer, buf.byteOffset + from, pos - from).toString('latin1'));
      return true;
    });
    if (!ok) return false;
    const more = nextMember(CLOSE_ARRAY);
    if (more < 0) return false;
    if (more === 0) return true;
  }
}

/**
 * The literal text of every numeric `weight` of `messages[i]` and `input.messages[i]` in a line JSON.parse
 * accepted ("messages[2]" → "1.0"): JSON.parse reads 1.0 as 1, but Together's Python check rejects it.
 */
export function weightLiterals(bytes: Uint8Array, start: number): Map<string, string> {
  buf = bytes;
  pos = start;
  depth = 0;
  const out = new Map<string, string>();
  skipWs();
  walkObject((key) => {
    if (key === 'messages') return walkMessages('messages', out);
    if (key === 'input') return walkObject((inner) => (inner === 'messages' ? walkMessages('input.messages', out) : skipValue()));
    return skipValue();
  });
  return out;
}
