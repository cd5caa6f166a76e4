// repairFile(): writes a copy of a JSONL file with the mechanical problems fixed — byte order marks, CRLF
// and lone-CR line endings, blank lines, whitespace around a line's JSON object, a missing final newline.
// It only touches bytes outside JSON values, so no message can change: whitespace is trimmed and a lone CR
// turned into LF only where the bytes around them are complete JSON values.
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { DatasetInputError } from './errors.js';
import { isJsonText } from './scan.js';
import { BufferPool, DEFAULT_CHUNK_SIZE, readChunks } from './reader.js';

export type FixKind = 'bom' | 'crlf' | 'lone-cr' | 'blank-line' | 'whitespace' | 'final-newline';

export interface FixChange {
  /** The line in the input file (1-based, a lone CR counting as a line break). */
  line: number;
  fix: FixKind;
  message: string;
}

export interface FixReport {
  input: string;
  output: string;
  /** At most `maxChanges` per kind, in line order; `counts` has the totals. */
  changes: FixChange[];
  counts: Partial<Record<FixKind, number>>;
  omitted: Partial<Record<FixKind, number>>;
  linesIn: number;
  linesOut: number;
}

export interface RepairOptions {
  /** Changes listed per kind (default 20); all are counted. */
  maxChanges?: number;
  chunkSize?: number;
}

const MESSAGES: Record<FixKind, string> = {
  bom: 'removed the UTF-8 byte order mark at the start of the line',
  crlf: 'converted the CRLF line ending to LF',
  'lone-cr': 'converted the lone CR line ending to LF',
  'blank-line': 'removed the blank line',
  whitespace: 'removed whitespace around the JSON object',
  'final-newline': 'added the missing newline at the end of the file',
};

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = new Uint8Array([LF]);

interface Part {
  from: number;
  to: number;
  ending: 'lf' | 'crlf' | 'cr' | 'eof';
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09;
}

class Repairer {
  line = 0;
  linesOut = 0;
  readonly changes: FixChange[] = [];
  readonly counts: Partial<Record<FixKind, number>> = {};
  readonly omitted: Partial<Record<FixKind, number>> = {};
  private out: Uint8Array[] = [];

  constructor(private readonly cap: number) {}

  private note(line: number, fix: FixKind): void {
    const count = (this.counts[fix] ?? 0) + 1;
    this.counts[fix] = count;
    if (count <= this.cap) this.changes.push({ line, fix, message: MESSAGES[fix] });
    else this.omitted[fix] = (this.omitted[fix] ?? 0) + 1;
  }

  /** The repaired bytes of the chunks so far, as one buffer to write. */
  take(): Buffer {
    const out = Buffer.concat(this.out);
    this.out = [];
    return out;
  }

  chunk(bytes: Uint8Array, final: boolean): void {
    let start = 0;
    while (start < bytes.length) {
      let newline = bytes.indexOf(LF, start);
      const hasNewline = newline >= 0;
      if (!hasNewline) newline = bytes.length;
      const crlf = hasNewline && newline > start && bytes[newline - 1] === CR;
      this.piece(bytes, start, crlf ? newline - 1 : newline, crlf, hasNewline || !final);
      start = newline + 1;
    }
  }

  /** One LF-terminated piece; lone CRs inside it are line breaks for Together's check. */
  private piece(bytes: Uint8Array, start: number, end: number, crlf: boolean, hasNewline: boolean): void {
    const parts: Part[] = [];
    let from = start;
    for (let i = start; i < end; i++) {
      if (bytes[i] === CR) {
        parts.push({ from, to: i, ending: 'cr' });
        from = i + 1;
      }
    }
    // A lone CR that ends the file leaves nothing after it: that is no line.
    if (from < end || hasNewline || parts.length === 0) parts.push({ from, to: end, ending: hasNewline ? (crlf ? 'crlf' : 'lf') : 'eof' });
    // Turning a lone CR into LF is safe only when every line it separates is a complete JSON value (or
    // blank); otherwise the CR may sit between the tokens of one object, and the bytes are copied as they are.
    const loneCr = parts.some((p) => p.ending === 'cr');
    if (loneCr && !parts.every((p) => this.blank(bytes, p.from, p.to) || this.json(bytes, p.from, p.to))) {
      this.line += parts.length;
      this.linesOut += parts.length;
      this.out.push(bytes.subarray(start, end));
      if (hasNewline) this.out.push(NEWLINE);
      if (crlf) this.note(this.line, 'crlf');
      return;
    }
    for (const part of parts) {
      const line = ++this.line;
      if (!this.emitLine(bytes, part.from, part.to, line, part.ending === 'eof')) continue; // removed: its ending too
      if (part.ending === 'cr') this.note(line, 'lone-cr');
      else if (part.ending === 'crlf') this.note(line, 'crlf');
    }
  }

  private blank(bytes: Uint8Array, a: number, b: number): boolean {
    for (let i = a; i < b; i++) if (!isSpace(bytes[i])) return false;
    return true;
  }

  private json(bytes: Uint8Array, a: number, b: number): boolean {
    const bom = b - a >= 3 && bytes[a] === 0xef && bytes[a + 1] === 0xbb && bytes[a + 2] === 0xbf;
    return isJsonText(bytes, bom ? a + 3 : a, b);
  }

  /** Writes one line, repaired; false when it was removed (blank). */
  private emitLine(bytes: Uint8Array, a: number, b: number, line: number, missingNewline: boolean): boolean {
    if (b - a >= 3 && bytes[a] === 0xef && bytes[a + 1] === 0xbb && bytes[a + 2] === 0xbf) {
      this.note(line, 'bom');
      a += 3;
    }
    if (this.blank(bytes, a, b)) {
      this.note(line, 'blank-line');
      return false;
    }
    let from = a;
    let to = b;
    while (isSpace(bytes[from])) from++;
    while (to > from && isSpace(bytes[to - 1])) to--;
    // Only whitespace outside the JSON value: if the trimmed line is not one complete value, keep it as is.
    if ((from !== a || to !== b) && isJsonText(bytes, from, to)) this.note(line, 'whitespace');
    else {
      from = a;
      to = b;
    }
    this.out.push(bytes.subarray(from, to));
    this.linesOut++;
    // A cut-off last line keeps its missing newline, so the truncation still shows when the copy is checked.
    if (!missingNewline) this.out.push(NEWLINE);
    else if (isJsonText(bytes, from, to)) {
      this.note(line, 'final-newline');
      this.out.push(NEWLINE);
    }
    return true;
  }
}

/** Writes the repaired copy of `input` to `output` (never in place) and lists what changed. */
export async function repairFile(input: string, output: string, options: RepairOptions = {}): Promise<FixReport> {
  if (resolve(input) === resolve(output)) {
    throw new DatasetInputError('--fix needs a new output file; it never overwrites the input');
  }
  if (input.endsWith('.parquet')) {
    throw new DatasetInputError('--fix repairs JSONL text (line endings, BOM, blank lines); a Parquet file has none of these. Drop --fix.');
  }
  try {
    if (!(await stat(input)).isFile()) throw new DatasetInputError(`${input} is not a regular file`);
  } catch (error) {
    if (error instanceof DatasetInputError) throw error;
    throw new DatasetInputError(`cannot read ${input} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const repairer = new Repairer(options.maxChanges ?? 20);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const buffers = new BufferPool(chunkSize);
  const temporary = `${output}.tmp-${process.pid}`;
  const stream = createWriteStream(temporary);
  const failed = once(stream, 'error').then(([error]) => {
    throw error as Error;
  });
  failed.catch(() => undefined);
  try {
    for await (const chunk of readChunks(input, buffers, chunkSize)) {
      repairer.chunk(chunk.bytes, chunk.final);
      const repaired = repairer.take(); // a copy, so the read buffer can be reused
      buffers.release(chunk.bytes.buffer as ArrayBuffer);
      if (!stream.write(repaired)) await Promise.race([once(stream, 'drain'), failed]);
    }
    stream.end();
    await Promise.race([once(stream, 'finish'), failed]);
    await rename(temporary, output);
  } catch (error) {
    stream.destroy();
    await rm(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new DatasetInputError(`cannot write ${output} (${code})`);
    throw error;
  }
  return {
    input,
    output,
    changes: [...repairer.changes].sort((a, b) => a.line - b.line),
    counts: repairer.counts,
    omitted: repairer.omitted,
    linesIn: repairer.line,
    linesOut: repairer.linesOut,
  };
}
