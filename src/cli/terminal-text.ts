// Untrusted text (response bodies, saved responses, server messages, dataset lines, ids, file names) made safe
// for a terminal: every character a terminal would act on instead of showing is written as a visible escape.
// A body carrying `ESC ] 0 ; title BEL` or `ESC [ 2 J` would otherwise retitle the window or clear the screen.

/**
 * Characters a terminal interprets: C0 controls (TAB and LF are handled by the caller's mode), DEL, the C1
 * controls (U+0080-U+009F: U+009B is a one-byte CSI on some terminals), and the invisible direction and line
 * controls that reorder or split what is shown (bidi embeddings, overrides and isolates, LRM/RLM/ALM, LS/PS).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex
const UNSAFE_OR_LINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex
/** The same set minus the C0 controls, which JSON.stringify already escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `\x1b`, `\n`, `\u202e`: how the character is written in a JS or JSON string, so a reader can tell what it was. */
function visible(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface TerminalTextOptions {
  /** Keep line feeds as line breaks (whole output); otherwise they are shown as `\n` (one field of a line). */
  multiline?: boolean;
}

/**
 * Text safe to print: controls and invisible direction marks shown as escapes. TAB is kept; LF is kept in
 * multiline mode (CRLF becomes LF), a lone CR never is (it would let the text overwrite the start of its line).
 */
export function terminalSafe(text: string, options: TerminalTextOptions = {}): string {
  if (options.multiline) return text.replace(/\r\n/g, '\n').replace(UNSAFE, visible);
  return text.replace(UNSAFE_OR_LINE, visible);
}

/**
 * JSON text with the characters JSON.stringify leaves raw but a terminal acts on (C1 controls, DEL, bidi and
 * line separators) written as `\uXXXX`: the same JSON value, safe to show. They occur only inside strings.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
