// Merges chunk results, in file order, into one report: absolute line numbers, the file's format and
// the mixed-format errors only the whole file can see, per-rule caps, totals.
import type { ChunkResult } from './chunk.js';
import type { FineTuneModel } from './model.js';
import { severityOf } from './rules.js';
import type { RuleId } from './rules.js';
import type { DatasetFormat, Issue, RuleOptions } from './types.js';

export interface TokenStats {
  model: string;
  /** True when every counted example was counted with the model's real tokenizer (false: conservative estimates). */
  exact: boolean;
  /** Tokens of the counted examples. */
  total: number;
  /** Valid examples checked against the context (examples with errors are not). */
  examples: number;
  /** Of them, counted with the tokenizer. */
  counted: number;
  /** Of them, shown to fit by their size alone (at most one token per UTF-8 byte), so not counted. */
  bounded: number;
  longest: { line: number; tokens: number } | null;
  /** Longest example the model fine-tunes on (SFT; DPO for preference data). */
  maxSeqLength: number;
  /** Estimated price of one epoch in USD, or null when tether has no fine-tuning price for the model. */
  costUsd: number | null;
  costNote: string;
}

export interface ValidationStats {
  bytes: number;
  lines: number;
  samples: number;
  messages: number;
  formats: Partial<Record<DatasetFormat, number>>;
  profile: RuleOptions['profile'];
  allowSameRoleRuns: boolean;
  tokens?: TokenStats;
}

export interface ValidationReport {
  valid: boolean;
  /** The file's format (its first example's), or null when no line had one. */
  format: DatasetFormat | null;
  samples: number;
  /** At most `maxErrors` per rule, sorted by line; line 0 means the whole file. */
  errors: Issue[];
  warnings: Issue[];
  /** Issues past the per-rule cap, by rule. */
  omitted: Partial<Record<RuleId, number>>;
  stats: ValidationStats;
}

const FORMAT_NAMES: Record<DatasetFormat, string> = {
  conversation: 'conversational ("messages")',
  instruction: 'instruction ("prompt"/"completion")',
  text: 'text ("text")',
  preference: 'preference ("input"/"preferred_output"/"non_preferred_output")',
  tokenized: 'pre-tokenized (Parquet)',
};

export class ReportBuilder {
  private readonly issues: Issue[] = [];
  private readonly kept = new Map<RuleId, number>();
  private readonly omitted: Partial<Record<RuleId, number>> = {};
  private readonly formats: Partial<Record<DatasetFormat, number>> = {};
  private lineOffset = 0;
  private samples = 0;
  private messages = 0;
  private format: DatasetFormat | undefined;
  private formatLine = 0;
  private tokens = { total: 0, counted: 0, longest: 0, longestLine: 0, exact: true, bounded: 0 };

  constructor(private readonly cap: number) {}

  private count(rule: RuleId, extra: number): void {
    if (extra > 0) this.omitted[rule] = (this.omitted[rule] ?? 0) + extra;
  }

  /** Adds an issue unless its rule already has `cap` kept; issues of one rule must arrive in line order. */
  add(issue: Issue): void {
    const kept = this.kept.get(issue.rule) ?? 0;
    if (kept < this.cap) {
      this.kept.set(issue.rule, kept + 1);
      this.issues.push(issue);
    } else {
      this.count(issue.rule, 1);
    }
  }

  /** Adds the next chunk's result (chunks must be added in file order). */
  addChunk(result: ChunkResult): void {
    const offset = this.lineOffset;
    for (const issue of result.issues) this.add({ ...issue, line: issue.line + offset });
    for (const [rule, extra] of Object.entries(result.omitted) as [RuleId, number][]) this.count(rule, extra);
    for (const run of result.runs) {
      this.formats[run.format] = (this.formats[run.format] ?? 0) + run.count;
      if (this.format === undefined) {
        this.format = run.format;
        this.formatLine = (run.lines[0] ?? 0) + offset;
      }
      if (run.format === this.format) continue;
      for (const line of run.lines) {
        this.add({
          line: line + offset,
          rule: 'format.mixed',
          message: `this line is ${FORMAT_NAMES[run.format]} data but the file's first example (line ${this.formatLine}) is ${FORMAT_NAMES[this.format]}; all examples of a file must use one format.`,
        });
      }
      this.count('format.mixed', run.count - run.lines.length);
    }
    if (result.tokens) {
      const t = result.tokens;
      this.tokens.total += t.total;
      this.tokens.counted += t.counted;
      this.tokens.bounded += t.bounded;
      this.tokens.exact &&= t.exact;
      if (t.longest > this.tokens.longest) {
        this.tokens.longest = t.longest;
        this.tokens.longestLine = t.longestLine + offset;
      }
    }
    this.lineOffset += result.lines;
    this.samples += result.samples;
    this.messages += result.messages;
  }

  build(bytes: number, options: RuleOptions, model?: FineTuneModel): ValidationReport {
    if (this.samples === 0) {
      this.add({ line: 0, rule: 'file.empty', message: 'the file holds no example; Together needs at least one JSON object per line.' });
    }
    const sorted = [...this.issues].sort((a, b) => a.line - b.line);
    const errors = sorted.filter((i) => severityOf(i.rule) === 'error');
    const warnings = sorted.filter((i) => severityOf(i.rule) === 'warning');
    const omittedErrors = (Object.keys(this.omitted) as RuleId[]).some((rule) => severityOf(rule) === 'error');
    const stats: ValidationStats = {
      bytes,
      lines: this.lineOffset,
      samples: this.samples,
      messages: this.messages,
      formats: this.formats,
      profile: options.profile,
      allowSameRoleRuns: options.allowSameRoleRuns,
    };
    if (model !== undefined) {
      const format = this.format;
      stats.tokens = {
        model: model.id,
        exact: this.tokens.exact,
        total: this.tokens.total,
        examples: this.tokens.counted + this.tokens.bounded,
        counted: this.tokens.counted,
        bounded: this.tokens.bounded,
        longest: this.tokens.counted > 0 ? { line: this.tokens.longestLine, tokens: this.tokens.longest } : null,
        maxSeqLength: format === 'preference' ? model.maxSeqLengthDpo : model.maxSeqLength,
        costUsd: null,
        costNote: `cost unknown: tether's catalog snapshot has no fine-tuning price for ${model.id} (Together's POST /fine-tunes/estimate-price gives one for an uploaded file)`,
      };
    }
    return {
      valid: errors.length === 0 && !omittedErrors,
      format: this.format ?? null,
      samples: this.samples,
      errors,
      warnings,
      omitted: this.omitted,
      stats,
    };
  }
}
