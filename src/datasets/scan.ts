// Byte-level JSON scanning of a line without decoding it or building objects: a generic value skipper
// (used by the fast path for keys it does not know), a JSON-text test (used by --fix) and the literal text
// of `weight` numbers (JSON.parse reads 1.0 as 1; Together's Python check rejects it).
//
// The line is buf[start, end). The byte after a line is "\n", "\r" or past the view (undefined), and each
// of them fails every comparison below, so scans stop at the line's end without a bounds test.
// Uint8Array reads past the view yield undefined, which the `!` assertions let through on purpose.

let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let depth = 0;
/** Set by skipString when the string held an escape sequence. */
let escaped = false;

const MAX_DEPTH = 200;

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

/** After a member's value: 1 when the container continues (a comma), 0 when it closed, -1 on an error. */
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

/** Skips the JSON value at bytes[at]; returns the index after it, or -1 when it is not valid JSON. */
export function skipJsonValue(bytes: Uint8Array, at: number): number {
  buf = bytes;
  pos = at;
  depth = 0;
  return skipValue() ? pos : -1;
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
