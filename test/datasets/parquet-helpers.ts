// Pre-tokenized Parquet files for tests, written with hyparquet-writer: list columns of integers as pyarrow writes
// them (the 3-level LIST layout), INT32 by default or INT64 (bigint values).
import { parquetWriteBuffer } from 'hyparquet-writer';

type Column = { name: string; data: unknown[]; type?: 'INT32' | 'INT64' | 'STRING' | 'LIST_STRING' };

function listSchema(name: string, type: string): Record<string, unknown>[] {
  return [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    type === 'STRING' ? { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' } : { name: 'element', type, repetition_type: 'REQUIRED' },
  ];
}

/** A Parquet file whose columns are lists (of integers unless `type` says otherwise), or plain strings for `STRING`. */
export function parquetOf(columns: Column[], rowGroupSize?: number): Uint8Array {
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: columns.length }];
  for (const column of columns) {
    if (column.type === 'STRING') schema.push({ name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
    else schema.push(...listSchema(column.name, column.type === 'LIST_STRING' ? 'STRING' : (column.type ?? 'INT32')));
  }
  const data = columns.map((c) => ({ name: c.name, data: c.type === 'INT64' ? c.data.map((row) => (row as number[]).map((v) => BigInt(v))) : c.data }));
  // hyparquet-writer's types do not describe an explicit nested schema; its runtime takes one.
  return new Uint8Array(parquetWriteBuffer({ columnData: data, schema, ...(rowGroupSize ? { rowGroupSize } : {}) } as unknown as Parameters<typeof parquetWriteBuffer>[0]));
}

/** input_ids / attention_mask / labels rows for `lengths`, labels masking the first half of each row. */
export function tokenizedRows(lengths: number[], start = 100): { input_ids: number[][]; attention_mask: number[][]; labels: number[][] } {
  const input_ids = lengths.map((n, row) => Array.from({ length: n }, (_, i) => start + ((row * 31 + i * 7) % 1000)));
  return {
    input_ids,
    attention_mask: lengths.map((n) => Array.from({ length: n }, () => 1)),
    labels: input_ids.map((ids) => ids.map((id, i) => (i < ids.length / 2 ? -100 : id))),
  };
}
