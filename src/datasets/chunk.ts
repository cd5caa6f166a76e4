// Checks a chunk of whole lines (the unit the reader cuts and the worker pool runs) and returns a compact,
// mergeable result with chunk-relative line numbers. Pure: the same bytes give the same result on any thread.
import { isUtf8 } from 'node:buffer';
import type { DatasetFormat, Issue, RuleOptions } from './types.js';
import { severityOf } from './rules.js';
import type { RuleId } from './rules.js';
import { FAST_CONVERSATION, FAST_INSTRUCTION, FAST_TEXT, FAST_UNSURE, fastLine, fastMessageCount, fastNewline } from './fast.js';
import { weightLiterals } from './scan.js';
import { checkSample } from './schema.js';
import { describeType } from './content.js';
import { diagnoseJson } from './json-diagnose.js';
import { IssueCollector } from './collector.js';
import type { FormatRun } from './collector.js';
import { firstInvalidUtf8, isCutCharacter } from './utf8.js';
import type { FineTuneModel } from './model.js';

export interface ChunkResult {
  /** Lines in the chunk, counting a lone CR as a line break like Together's check. */
  lines: number;
  /** Non-blank lines: each is meant to be one example. */
  samples: number;
  messages: number;
  runs: FormatRun[];
  /** In line order within each rule; at most `cap` per rule, the rest counted in `omitted`. */
  issues: Issue[];
  omitted: Partial<Record<RuleId, number>>;
  tokens?: ChunkTokens;
  /** With --model: valid examples the byte bound could not prove fit, left to count exactly (on the main thread). */
  toCount?: PendingExample[];
}

export interface ChunkTokens {
  /** Tokens of the examples counted exactly. */
  total: number;
  counted: number;
  longest: number;
  longestLine: number;
  exact: boolean;
  /** Valid examples whose byte bound already fits the context: not counted. */
  bounded: number;
}

export interface ChunkContext {
  options: RuleOptions;
  /** Issues kept per rule. */
  cap: number;
  /** True for the chunk that ends the file (its last line may lack a newline and be cut off). */
  final: boolean;
  /** Keep every valid example (parsed) for token counting; turns the fast path off (but see fitBytes). */
  collect: boolean;
  /**
   * With `collect`: a line the fast path accepts and that is at most this many bytes certainly fits the model's
   * context (see example-tokens.ts fitBytes), so it is neither parsed nor kept, only counted in `bounded`.
   */
  fitBytes?: number;
  /** With --model: the model, whose capabilities decide whether reasoning and tool data are accepted. */
  model?: FineTuneModel;
}

/** A valid example kept for token counting. */
export interface PendingExample {
  line: number;
  format: DatasetFormat;
  sample: Record<string, unknown>;
}

const FAST_FORMATS: Record<number, DatasetFormat> = { [FAST_TEXT]: 'text', [FAST_CONVERSATION]: 'conversation', [FAST_INSTRUCTION]: 'instruction' };
const LF = 0x0a;
const CR = 0x0d;

function isBlank(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0x20 && bytes[i] !== 0x09) return false;
  return true;
}

function hasBom(bytes: Uint8Array, from: number, to: number): boolean {
  return to - from >= 3 && bytes[from] === 0xef && bytes[from + 1] === 0xbb && bytes[from + 2] === 0xbf;
}

class ChunkChecker {
  private line = 0;
  private samples = 0;
  private messages = 0;
  readonly collector: IssueCollector;
  readonly pending: PendingExample[] = [];
  /** Lines the fast path accepted that fit by their size alone (with collect and fitBytes). */
  bounded = 0;
  private readonly text: Buffer;
  private crAt = -1;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly ctx: ChunkContext,
  ) {
    this.collector = new IssueCollector(ctx.cap);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): ChunkResult {
    const { bytes, text, ctx } = this;
    const fitBytes = ctx.collect ? (ctx.fitBytes ?? -1) : Infinity;
    const fast = fitBytes >= 0;
    const utf8 = isUtf8(bytes);
    const allowRuns = ctx.options.allowSameRoleRuns;
    const allowSampleWeight = ctx.options.profile === 'current';
    const n = bytes.length;
    let start = 0;
    while (start < n) {
      if (fast && utf8) {
        const next = this.fastStretch(start, fitBytes !== Infinity, fitBytes, allowRuns, allowSampleWeight);
        if (next !== start) {
          start = next;
          continue;
        }
      }
      const newline = text.indexOf(LF, start);
      const hasNewline = newline >= 0;
      const lineEnd = hasNewline ? newline : n;
      // A CR right before the LF is a CRLF ending, which Together accepts.
      const end = hasNewline && lineEnd > start && bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      this.splitLoneCr(start, end, hasNewline, utf8);
      start = lineEnd + 1;
    }
    return {
      lines: this.line,
      samples: this.samples,
      messages: this.messages,
      runs: this.collector.runs,
      issues: this.collector.sorted(),
      omitted: this.collector.omitted,
    };
  }

  /**
   * Takes the lines from `start` on that the fast path accepts, while they keep one format, counting them in one go;
   * returns where the next line starts (`start` when the first line is not accepted). Collecting for --model
   * (`bounded`), a line is taken only when its size proves it fits (at most `fitBytes`); longer ones are parsed and
   * kept by checkLine.
   */
  private fastStretch(start: number, bounded: boolean, fitBytes: number, allowRuns: boolean, allowSampleWeight: boolean): number {
    const { bytes } = this;
    const n = bytes.length;
    const format = fastLine(bytes, start, allowRuns, allowSampleWeight);
    // `bounded` spares the hot loop a comparison with Infinity (a double, where V8 expects small integers).
    if (format === FAST_UNSURE || (bounded && fastNewline() - start > fitBytes)) return start;
    let count = 0;
    let messages = 0;
    let next = start;
    let found = format;
    do {
      count++;
      if (found === FAST_CONVERSATION) messages += fastMessageCount();
      next = fastNewline() + 1;
      if (next >= n) break;
      found = fastLine(bytes, next, allowRuns, allowSampleWeight);
    } while (found === format && !(bounded && fastNewline() - next > fitBytes));
    if (bounded) this.bounded += count;
    this.collector.formatLines(this.line + 1, count, FAST_FORMATS[format]!);
    this.line += count;
    this.samples += count;
    this.messages += messages;
    return next;
  }

  /** With --model: reasoning and tool data only for the models Together trains on them; returns the errors added. */
  private checkModel(line: number, reasoning: boolean, tools: boolean): number {
    const model = this.ctx.model;
    if (model === undefined) return 0;
    let errors = 0;
    if (reasoning && !model.capabilities.reasoning) {
      errors++;
      this.collector.add(
        line,
        'model.reasoning',
        `the example has reasoning ("reasoning" / "reasoning_content"), but Together fine-tunes ${model.id} without it; drop the reasoning fields or pick a reasoning model (the Qwen3 family, Qwen3.5, GLM-4.6 and later).`,
      );
    }
    if (tools && !model.capabilities.tools) {
      errors++;
      this.collector.add(
        line,
        'model.tools',
        `the example has tool data (tools, tool_calls or tool messages), but ${model.id} is not among the models Together fine-tunes on function calling; pick one that is (e.g. Llama 3.1+, Qwen2.5, Qwen3, gpt-oss) or remove the tool data.`,
      );
    }
    return errors;
  }

  /** The position of the first CR at or after `from` (bytes.length when none); cached, lines only move forward. */
  private nextCr(from: number): number {
    if (this.crAt < from) {
      const found = this.text.indexOf(CR, from);
      this.crAt = found < 0 ? this.bytes.length : found;
    }
    return this.crAt;
  }

  /** Splits bytes[start, end) at lone CRs (line breaks for Together's check) and checks each piece. */
  private splitLoneCr(start: number, end: number, hasNewline: boolean, utf8: boolean): void {
    let from = start;
    for (;;) {
      const cr = this.nextCr(from);
      if (cr >= end) break;
      this.checkLine(from, cr, false, utf8);
      this.collector.add(
        this.line,
        'line.lone-cr',
        'this line ends with a lone carriage return (CR); Together splits lines there, other tools may not. Use LF line endings (tether validate --fix OUT converts them).',
      );
      from = cr + 1;
    }
    // After a trailing lone CR at the very end of the file nothing is left: that is no line.
    if (from < end || hasNewline || from === start) this.checkLine(from, end, !hasNewline && this.ctx.final, utf8);
  }

  private checkLine(from: number, to: number, lastWithoutNewline: boolean, chunkUtf8: boolean): void {
    const line = ++this.line;
    const { bytes, collector } = this;
    if (hasBom(bytes, from, to)) {
      collector.add(
        line,
        'line.bom',
        'the line starts with a UTF-8 byte order mark (BOM), which makes it invalid JSON for Together. Save the file as UTF-8 without BOM (tether validate --fix OUT removes it).',
      );
      from += 3;
    }
    if (isBlank(bytes, from, to)) {
      collector.add(line, 'line.blank', 'blank line; Together rejects empty lines. Delete it (tether validate --fix OUT removes blank lines).');
      return;
    }
    this.samples++;
    if (!chunkUtf8 && !isUtf8(bytes.subarray(from, to))) {
      const column = firstInvalidUtf8(bytes, from, to);
      if (lastWithoutNewline && isCutCharacter(bytes, from + column - 1, to)) {
        collector.add(line, 'json.truncated', 'the file ends in the middle of a character and of a JSON value; it was cut off while being written or copied. Regenerate it, or delete this last line.');
      } else {
        collector.add(line, 'line.utf8', `invalid UTF-8 at byte ${column} of the line; re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8).`);
      }
      return;
    }
    const text = this.text.toString('utf8', from, to);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      const problem = diagnoseJson(text, lastWithoutNewline);
      collector.add(line, problem.rule, problem.message);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const hint = Array.isArray(value) ? ' If the whole file is one JSON array, write one element per line instead.' : '';
      collector.add(line, 'line.not-object', `the line is ${describeType(value)}, not a JSON object; each line must be one example object.${hint}`);
      return;
    }
    const sample = value as Record<string, unknown>;
    let literals: Map<string, string> | undefined;
    const verdict = checkSample(sample, this.ctx.options, (path) => {
      literals ??= weightLiterals(bytes, from);
      return literals.get(path);
    });
    let errors = 0;
    for (const problem of verdict.problems) {
      collector.add(line, problem.rule, problem.message);
      if (severityOf(problem.rule) === 'error') errors++;
    }
    errors += this.checkModel(line, verdict.reasoning, verdict.tools);
    this.messages += verdict.messages;
    if (verdict.format !== undefined) {
      collector.format(line, verdict.format);
      if (this.ctx.collect && errors === 0) this.pending.push({ line, format: verdict.format, sample });
    }
  }
}

/** Checks the whole lines in `bytes`; `pending` holds the valid examples when `ctx.collect` is set. */
export function checkChunk(bytes: Uint8Array, ctx: ChunkContext): { result: ChunkResult; pending: PendingExample[]; bounded: number } {
  const checker = new ChunkChecker(bytes, ctx);
  const result = checker.run();
  return { result, pending: checker.pending, bounded: checker.bounded };
}
