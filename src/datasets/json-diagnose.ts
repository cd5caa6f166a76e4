// Says why a line is not JSON, in words a user can act on. Runs only on lines JSON.parse rejected: a small
// scanner finds the first offending character and the kind of mistake (control character, cut-off line,
// NaN, single quotes, trailing comma, two objects on one line…).
import type { Problem } from './types.js';

type Expect = 'value' | 'key' | 'colon' | 'comma-or-close';

interface Failure {
  kind: 'end' | 'control' | 'unexpected' | 'escape' | 'number' | 'trailing';
  index: number;
  expect?: Expect;
}

const CONTROL_NAMES: Record<number, string> = { 0x09: 'TAB', 0x0a: 'LF', 0x0d: 'CR', 0x00: 'NUL' };

function codePoint(char: number): string {
  return `U+${char.toString(16).toUpperCase().padStart(4, '0')}`;
}

function controlName(char: number): string {
  return CONTROL_NAMES[char] ?? codePoint(char);
}

/** A first-error JSON scanner over a string (clarity over speed: only failing lines reach it). */
class Scanner {
  private i = 0;
  constructor(private readonly text: string) {}

  run(): Failure | undefined {
    this.ws();
    const failure = this.value();
    if (failure) return failure;
    this.ws();
    return this.i < this.text.length ? { kind: 'trailing', index: this.i } : undefined;
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  private fail(kind: Failure['kind'], expect?: Expect): Failure {
    return { kind: this.i >= this.text.length ? 'end' : kind, index: this.i, ...(expect ? { expect } : {}) };
  }

  private value(): Failure | undefined {
    const c = this.text[this.i];
    if (c === '"') return this.string();
    if (c === '{') return this.container('}');
    if (c === '[') return this.container(']');
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return undefined;
      }
    }
    if (/^(NaN|-?Infinity)/.test(this.text.slice(this.i, this.i + 9))) return this.fail('unexpected', 'value');
    if (c !== undefined && /[-0-9]/.test(c)) return this.number();
    return this.fail('unexpected', 'value');
  }

  private string(): Failure | undefined {
    this.i++;
    while (this.i < this.text.length) {
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return undefined;
      }
      if (c < 0x20) return { kind: 'control', index: this.i };
      if (c === 0x5c) {
        const d = this.text[this.i + 1];
        if (d === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.i += 6;
        else if (d !== undefined && '"\\/bfnrt'.includes(d)) this.i += 2;
        else return this.fail('escape');
        continue;
      }
      this.i++;
    }
    return this.fail('end');
  }

  private number(): Failure | undefined {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!match || match[0] === '-') return this.fail('number');
    this.i += match[0].length;
    return undefined;
  }

  private container(close: '}' | ']'): Failure | undefined {
    this.i++;
    this.ws();
    if (this.text[this.i] === close) {
      this.i++;
      return undefined;
    }
    for (;;) {
      if (close === '}') {
        if (this.text[this.i] !== '"') return this.fail('unexpected', 'key');
        const failure = this.string();
        if (failure) return failure;
        this.ws();
        if (this.text[this.i] !== ':') return this.fail('unexpected', 'colon');
        this.i++;
        this.ws();
      }
      const failure = this.value();
      if (failure) return failure;
      this.ws();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        this.ws();
        continue;
      }
      if (c === close) {
        this.i++;
        return undefined;
      }
      return this.fail('unexpected', 'comma-or-close');
    }
  }
}

function describeUnexpected(text: string, failure: Failure): string {
  const at = text.slice(failure.index);
  const c = at.charCodeAt(0);
  const shown = c > 0x20 && c < 0x7f ? JSON.stringify(at[0]) : codePoint(c);
  if (failure.expect === 'value') {
    if (/^(NaN|-?Infinity)/.test(at)) return 'NaN and Infinity are not JSON; write null or a finite number';
    if (at.startsWith("'")) return 'strings must use double quotes, not single quotes';
    if (at.startsWith(']') || at.startsWith('}')) return `a trailing comma before ${shown}; remove it`;
    if (/^(True|False|None)\b/.test(at)) return 'this is Python, not JSON: write true, false or null (write the file with json.dumps)';
    return `expected a value but found ${shown}`;
  }
  if (failure.expect === 'key') {
    if (at.startsWith('}')) return 'a trailing comma before "}"; remove it';
    if (at.startsWith("'")) return 'keys must use double quotes, not single quotes';
    return `expected a double-quoted key but found ${shown}`;
  }
  if (failure.expect === 'colon') return `expected ":" after the key but found ${shown}`;
  return `expected "," or a closing bracket but found ${shown}`;
}

/**
 * Describes why `text` (one line, BOM already removed) is not JSON. `lastLineWithoutNewline` marks the
 * file's final line when no newline ends it: a value cut off there means a truncated file.
 */
export function diagnoseJson(text: string, lastLineWithoutNewline: boolean): Problem {
  const failure = new Scanner(text).run();
  if (!failure) {
    // JSON.parse refused what the scanner accepts: report JSON.parse's own words.
    let reason = 'not valid JSON';
    try {
      JSON.parse(text);
    } catch (error) {
      reason = error instanceof Error ? error.message : reason;
    }
    return { rule: 'json.syntax', message: `the line is not valid JSON (${reason}).` };
  }
  const column = failure.index + 1;
  switch (failure.kind) {
    case 'control': {
      const name = controlName(text.charCodeAt(failure.index));
      const escape = name === 'TAB' ? '\\t' : `\\u${text.charCodeAt(failure.index).toString(16).padStart(4, '0')}`;
      return {
        rule: 'json.control-char',
        message: `raw control character ${name} inside a string at column ${column}; JSON needs it escaped as ${escape} (write the file with a JSON library).`,
      };
    }
    case 'end':
      if (lastLineWithoutNewline) {
        return {
          rule: 'json.truncated',
          message: `the file ends in the middle of a JSON value (column ${column}); it was probably cut off while being written or copied. Regenerate it, or delete this last line.`,
        };
      }
      if (/^\s*[[{]\s*$/.test(text)) {
        return {
          rule: 'json.syntax',
          message: 'the line opens a JSON value that continues on the next lines; JSONL needs each example as one object on one line (pretty-printed JSON or a JSON array will not do). Rewrite it with one json.dumps(example) per line.',
        };
      }
      return { rule: 'json.syntax', message: `the line ends in the middle of a JSON value (column ${column}): an unclosed string or bracket, or an example split over several lines.` };
    case 'trailing':
      return {
        rule: 'json.syntax',
        message: text[failure.index] === '{'
          ? `a second JSON object starts at column ${column}; put each example on its own line.`
          : `unexpected text after the JSON object at column ${column}; remove it.`,
      };
    case 'escape':
      return { rule: 'json.syntax', message: `invalid escape sequence at column ${column}; valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX (write a backslash as \\\\).` };
    case 'number':
      return { rule: 'json.syntax', message: `invalid number at column ${column}; JSON numbers have no leading zeros, plus sign or trailing dot.` };
    case 'unexpected':
      return { rule: 'json.syntax', message: `the line is not valid JSON: ${describeUnexpected(text, failure)} (column ${column}).` };
  }
}
