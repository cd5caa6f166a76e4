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
  /** Made with its first run (see formatLines). */
  private list: FormatRun[] | undefined;
  /** The last run. */
  private last: FormatRun | undefined;

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
    // The list is made with its first run ([last]), and the last run kept in a field: an empty list ([]) changes its
    // map when the first object goes in, later empty lists are made with the new map, and the optimized scan of a
    // chunk, compiled for one of them, left for the interpreter at every chunk's first run.
    let last = this.last;
    if (last === undefined || last.format !== format) {
      last = { format, count: 0, lines: [] };
      if (this.list === undefined) this.list = [last];
      else this.list.push(last);
      this.last = last;
    }
    last.count += count;
    const lines = last.lines;
    for (let k = 0; k < count && lines.length < this.cap; k++) lines.push(line + k);
  }

  /** The runs of formats, in line order. */
  get runs(): FormatRun[] {
    return this.list ?? [];
  }

  /** Issues sorted by line (stable, so a line's issues keep the order they were found in). */
  sorted(): Issue[] {
    return this.issues.sort((a, b) => a.line - b.line);
  }
}
