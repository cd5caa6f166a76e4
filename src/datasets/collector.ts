// Collects a chunk's issues with a per-rule cap (the rest only counted) and its runs of formats.
import type { DatasetFormat, Issue } from './types.js';
import type { RuleId } from './rules.js';

/** Consecutive examples of one format; `lines` keeps the first few (chunk-relative) for format.mixed errors. */
export interface FormatRun {
  format: DatasetFormat;
  count: number;
  lines: number[];
}

/** Collects issues with a per-rule cap, and format runs. */
export class IssueCollector {
  readonly issues: Issue[] = [];
  readonly omitted: Partial<Record<RuleId, number>> = {};
  private readonly counts = new Map<RuleId, number>();
  readonly runs: FormatRun[] = [];

  constructor(private readonly cap: number) {}

  add(line: number, rule: RuleId, message: string): void {
    const count = (this.counts.get(rule) ?? 0) + 1;
    this.counts.set(rule, count);
    if (count <= this.cap) this.issues.push({ line, rule, message });
    else this.omitted[rule] = (this.omitted[rule] ?? 0) + 1;
  }

  format(line: number, format: DatasetFormat): void {
    this.formatLines(line, 1, format);
  }

  /** `count` examples of one format on consecutive lines from `line`. */
  formatLines(line: number, count: number, format: DatasetFormat): void {
    const runs = this.runs;
    // No read at index -1 of an empty list: V8 would leave optimized code for it at every chunk's first line.
    let last = runs.length > 0 ? runs[runs.length - 1]! : undefined;
    if (last === undefined || last.format !== format) {
      last = { format, count: 0, lines: [] };
      runs.push(last);
    }
    last.count += count;
    const lines = last.lines;
    for (let k = 0; k < count && lines.length < this.cap; k++) lines.push(line + k);
  }

  /** Issues sorted by line (stable, so a line's issues keep the order they were found in). */
  sorted(): Issue[] {
    return this.issues.sort((a, b) => a.line - b.line);
  }
}
