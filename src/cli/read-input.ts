// A file or stdin read whole, up to a size: `--body @/dev/zero` or an endless pipe into `tether explain --response -`
// would otherwise grow the process until it crashed.
import { createReadStream } from 'node:fs';
import { UsageError } from './exit-codes.js';

/** Largest saved response or body `tether explain` reads: Together's error bodies are a few hundred bytes. */
export const MAX_EXPLAIN_INPUT_BYTES = 16 * 1024 * 1024;
/** Largest text or chat `tether tokens` counts. */
export const MAX_TOKENS_INPUT_BYTES = 64 * 1024 * 1024;

function mib(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}

/**
 * The bytes of `path` (`-` for stdin), or a UsageError naming the input: unreadable (with its error code and
 * `fix`), or larger than `maxBytes` (read no further than that).
 */
export async function readInput(path: string, maxBytes: number, label: string, fix: string): Promise<Buffer> {
  const what = path === '-' ? `${label} (stdin)` : `${label} ${path}`;
  const stream = path === '-' ? process.stdin : createReadStream(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) throw new UsageError(`${what} is larger than ${mib(maxBytes)}; ${fix}`);
      chunks.push(bytes);
    }
  } catch (error) {
    if (path !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
    else process.stdin.pause();
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read ${what} (${code}); ${fix}`);
  }
  return Buffer.concat(chunks);
}
