// Bounds on the JSON the emulator parses, checked on the text before anything walks the value. JSON.parse itself
// copes with any depth, but what follows (the schema check, JSON.stringify, token counting of content parts)
// recurses: 100k levels of nesting overflowed the stack and ended as a 500. Written here rather than shared with
// the client side (src/pipeline has its own check): the emulator stands in for Together, independently of the
// code it tests.

/**
 * Deepest nesting of arrays and objects a body may have. UNCONFIRMED: Together's own limit is not documented; real
 * requests stay far below this (chat with tool schemas reaches ~20), and the gateway and library use 128 too.
 */
export const MAX_JSON_DEPTH = 128;

/** Index of the quote closing the string opened at `open`, or -1 (an unterminated string: JSON.parse says why). */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return -1;
    let backslashes = 0;
    for (let k = at - 1; text.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/** Whether the JSON text nests arrays and objects deeper than `limit`: one pass, no recursion, strings skipped. */
export function jsonDeeperThan(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i === -1) return false;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
