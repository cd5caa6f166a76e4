// Writing the output file from the checkpoint: every result line in input order, to a temporary file renamed
// over OUT at the end, so OUT is either the previous file or the complete new one, never half written.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { CheckpointStore } from './store.js';

/**
 * Write `lines` (one JSON line each) to `path` atomically; resolves with the number of lines written. With
 * `expected`, a different count leaves `path` untouched and throws.
 */
export async function writeLinesAtomically(path: string, lines: AsyncIterable<string> | Iterable<string>, expected?: number): Promise<number> {
  const temporary = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(temporary, { encoding: 'utf8' });
  let count = 0;
  try {
    let buffer = '';
    for await (const line of lines) {
      buffer += `${line}\n`;
      count++;
      if (buffer.length >= 1 << 16) {
        if (!out.write(buffer)) await once(out, 'drain');
        buffer = '';
      }
    }
    out.end(buffer);
    await once(out, 'finish');
    if (expected !== undefined && count !== expected) throw new Error(`expected ${expected} lines, got ${count}`);
    await rename(temporary, path);
    return count;
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Write a finished job's output; throws if the store does not hold exactly one result per request. */
export async function writeJobOutput(store: CheckpointStore, path: string, total: number): Promise<number> {
  try {
    return await writeLinesAtomically(path, store.lines(), total);
  } catch (error) {
    throw new Error(`cannot write ${path} from the checkpoint ${store.location}: ${(error as Error).message}`);
  }
}
