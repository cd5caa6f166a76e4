// Pre-tokenized Parquet datasets (Together's "tokenized data"): columns `input_ids` and `attention_mask`, and
// optionally `labels` (-100 masks a token from the loss), one example per row. Read with hyparquet one row
// window at a time (a row group, or a slice of a large one), so memory follows the window, not the file.
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ChunkResult } from './chunk.js';
import { IssueCollector } from './collector.js';
import { describeType } from './content.js';
import type { FineTuneModel } from './model.js';
import type { RuleId } from './rules.js';

export const PARQUET_REQUIRED = ['input_ids', 'attention_mask'] as const;
export const PARQUET_ALLOWED = new Set(['input_ids', 'attention_mask', 'labels']);
/** The label that leaves a token out of the loss (Hugging Face's ignore index). */
export const IGNORE_LABEL = -100;
/** Rows decoded at a time inside a large row group. */
const WINDOW_ROWS = 4096;

export interface ParquetCheckOptions {
  cap: number;
  model?: FineTuneModel;
  /** Called once with the file's row count, before its rows are checked (for progress). */
  onRowCount?: (rows: number) => void;
}

type Cell = unknown;

/** A cell's type for messages: null for a missing value, a number for an INT64 (bigint) outside a list. */
function describeCell(value: Cell): string {
  if (value === undefined) return 'null';
  return describeType(typeof value === 'bigint' ? 0 : value);
}

/** Integer value of a Parquet integer (INT64 arrives as bigint); undefined for anything else. */
function integer(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** The top-level column names of the file, with whether each is a repeated (list) column of integers. */
function columnsOf(metadata: FileMetaData): Map<string, { integerList: boolean }> {
  const columns = new Map<string, { integerList: boolean }>();
  for (const child of parquetSchema(metadata).children) {
    // A list column is either a repeated leaf or the 3-level LIST group (list → element); its leaf must be an integer.
    let node = child;
    let repeated = node.element.repetition_type === 'REPEATED';
    while (node.children.length === 1) {
      node = node.children[0]!;
      if (node.element.repetition_type === 'REPEATED') repeated = true;
    }
    const leaf = node.children.length === 0 ? node.element.type : undefined;
    columns.set(child.element.name, { integerList: repeated && (leaf === 'INT32' || leaf === 'INT64') });
  }
  return columns;
}

class RowChecker {
  readonly collector: IssueCollector;
  tokens = { total: 0, counted: 0, longest: 0, longestLine: 0, exact: true, bounded: 0 };

  constructor(
    private readonly options: ParquetCheckOptions,
    private readonly hasLabels: boolean,
  ) {
    this.collector = new IssueCollector(options.cap);
  }

  private add(row: number, rule: RuleId, message: string): void {
    this.collector.add(row, rule, message);
  }

  /** Checks one row (1-based `row`, window-relative); cells in the order input_ids, attention_mask[, labels]. */
  check(row: number, cells: Cell[]): void {
    const [ids, mask, labels] = cells;
    const names = this.hasLabels ? ['input_ids', 'attention_mask', 'labels'] : ['input_ids', 'attention_mask'];
    let typed = true;
    names.forEach((name, index) => {
      if (!Array.isArray(cells[index])) {
        typed = false;
        this.add(row, 'parquet.type', `${name} is ${describeCell(cells[index])}; it must be a list of integer token ids (or mask values).`);
      }
    });
    if (!typed) return;
    const idList = ids as unknown[];
    const maskList = mask as unknown[];
    const labelList = labels as unknown[] | undefined;
    if (idList.length === 0) {
      this.add(row, 'parquet.length', 'input_ids is empty; every row must hold at least one token (drop empty rows).');
      return;
    }
    if (maskList.length !== idList.length || (labelList !== undefined && labelList.length !== idList.length)) {
      const sizes = `input_ids ${idList.length}, attention_mask ${maskList.length}${labelList ? `, labels ${labelList.length}` : ''}`;
      this.add(row, 'parquet.length', `the row's lists differ in length (${sizes}); each needs one entry per token.`);
      return;
    }
    const vocab = this.options.model?.capabilities.vocabSize;
    this.checkIds(row, 'input_ids', idList, vocab, false);
    for (let i = 0; i < maskList.length; i++) {
      const value = integer(maskList[i]);
      if (value !== 0 && value !== 1) {
        const shown = value === undefined ? describeCell(maskList[i]) : String(value);
        this.add(row, 'parquet.mask', `attention_mask[${i}] is ${shown}; a mask value is 1 (attend to the token) or 0 (padding).`);
        break;
      }
    }
    if (labelList !== undefined) this.checkIds(row, 'labels', labelList, vocab, true);
    this.countTokens(row, idList.length);
  }

  /** Token ids: integers ≥ 0 (labels may also be -100), below the model's vocabulary when it is known. */
  private checkIds(row: number, name: string, list: unknown[], vocab: number | undefined, labels: boolean): void {
    for (let i = 0; i < list.length; i++) {
      const id = integer(list[i]);
      if (id === undefined) {
        this.add(row, 'parquet.type', `${name}[${i}] is ${describeCell(list[i])}; token ids are integers.`);
        return;
      }
      if (labels && id === IGNORE_LABEL) continue;
      if (id < 0) {
        const rule = labels ? 'parquet.label' : 'parquet.token-range';
        const hint = labels ? 'a label is a token id ≥ 0, or -100 to leave the token out of the loss' : 'token ids are ≥ 0';
        this.add(row, rule, `${name}[${i}] is ${id}; ${hint}.`);
        return;
      }
      if (vocab !== undefined && id >= vocab) {
        this.add(
          row,
          'parquet.token-range',
          `${name}[${i}] is ${id}, not below the vocabulary size of ${this.options.model!.id} (${vocab}); the data was tokenized for another model. Tokenize it with ${this.options.model!.id}'s tokenizer.`,
        );
        return;
      }
    }
  }

  private countTokens(row: number, length: number): void {
    const model = this.options.model;
    if (model === undefined) return;
    this.tokens.total += length;
    this.tokens.counted++;
    if (length > this.tokens.longest) {
      this.tokens.longest = length;
      this.tokens.longestLine = row;
    }
    if (length > model.maxSeqLength) {
      this.add(row, 'example.too-long', `the row is ${length} tokens; ${model.id} fine-tunes on examples of at most ${model.maxSeqLength} tokens. Split or truncate it.`);
    }
  }
}

/** The schema problems of the file (missing, non-list or extra columns); empty when its columns are usable. */
function schemaIssues(columns: Map<string, { integerList: boolean }>): string[] {
  const problems: string[] = [];
  for (const name of PARQUET_REQUIRED) {
    if (!columns.has(name)) problems.push(`the column "${name}" is missing (Together needs input_ids and attention_mask; labels is optional)`);
  }
  for (const [name, column] of columns) {
    if (!PARQUET_ALLOWED.has(name)) problems.push(`the column "${name}" is not allowed; keep only input_ids, attention_mask and labels`);
    else if (!column.integerList) problems.push(`the column "${name}" is not a list of integers (int32 or int64)`);
  }
  return problems;
}

/**
 * Checks a Parquet file and yields one result per row window, in row order (line numbers window-relative, as
 * the report builder merges them). A file hyparquet cannot read gives one parquet.read issue.
 */
export async function* checkParquet(file: AsyncBuffer, options: ParquetCheckOptions): AsyncGenerator<ChunkResult> {
  const empty = (issues: ChunkResult['issues']): ChunkResult => ({ lines: 0, samples: 0, messages: 0, runs: [], issues, omitted: {} });
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    yield empty([{ line: 0, rule: 'parquet.read', message: `not a readable Parquet file (${detail}); write it with pyarrow or pandas' to_parquet.` }]);
    return;
  }
  const columns = columnsOf(metadata);
  const problems = schemaIssues(columns);
  if (problems.length > 0) {
    const rows = Number(metadata.num_rows);
    yield { ...empty(problems.map((problem) => ({ line: 0, rule: 'parquet.schema' as const, message: `${problem}.` }))), lines: rows, samples: rows };
    return;
  }
  options.onRowCount?.(Number(metadata.num_rows));
  const hasLabels = columns.has('labels');
  const read = hasLabels ? ['input_ids', 'attention_mask', 'labels'] : ['input_ids', 'attention_mask'];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    for (let start = 0; start < groupRows; start += WINDOW_ROWS) {
      const end = Math.min(groupRows, start + WINDOW_ROWS);
      const checker = new RowChecker(options, hasLabels);
      let rows: Cell[][];
      try {
        rows = await new Promise<Cell[][]>((resolve, reject) => {
          parquetRead({
            file,
            metadata,
            compressors,
            columns: read,
            rowStart: groupStart + start,
            rowEnd: groupStart + end,
            onComplete: (data) => resolve(data as Cell[][]),
          }).catch(reject);
        });
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        yield empty([{ line: 0, rule: 'parquet.read', message: `rows ${groupStart + start + 1}-${groupStart + end} cannot be read (${detail}); the file may be damaged. Write it again.` }]);
        return;
      }
      rows.forEach((cells, index) => checker.check(index + 1, cells));
      yield {
        lines: rows.length,
        samples: rows.length,
        messages: 0,
        runs: rows.length > 0 ? [{ format: 'tokenized', count: rows.length, lines: [1] }] : [],
        issues: checker.collector.sorted(),
        omitted: checker.collector.omitted,
        ...(options.model ? { tokens: checker.tokens } : {}),
      };
    }
    groupStart += groupRows;
  }
}
