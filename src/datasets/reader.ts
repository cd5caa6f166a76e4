// Reads a file as a sequence of chunks that end on a line break, so each chunk can be checked on its own.
// The next read is already under way while the caller checks a chunk. Memory stays bounded: a read
// buffer per chunk in flight, plus the longest line when it outgrows a chunk.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

export interface Chunk {
  seq: number;
  bytes: Uint8Array;
  /** The chunk that ends the file; its last line may have no newline. */
  final: boolean;
}

export const DEFAULT_CHUNK_SIZE = 1 << 20;

/** Hands out read buffers; the caller gives them back (`release`) once a chunk has been checked. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly size: number) {}

  take(minimum: number): ArrayBuffer {
    const index = this.free.findIndex((b) => b.byteLength >= minimum);
    if (index >= 0) return this.free.splice(index, 1)[0]!;
    return new ArrayBuffer(Math.max(this.size, minimum));
  }

  release(buffer: ArrayBuffer): void {
    // Keep a few standard buffers; let an oversized one (a very long line) go.
    if (buffer.byteLength === this.size && this.free.length < 8) this.free.push(buffer);
  }
}

interface Read {
  buffer: Uint8Array;
  /** Bytes in `buffer`: the carried-over start of a line, then what this read added. */
  filled: number;
  /** Bytes this read added; 0 at the end of the file. */
  added: number;
}

/** Starts reading into a buffer that begins with `carry` (the unfinished line of the previous read). */
async function readAfter(handle: FileHandle, pool: BufferPool, carry: Uint8Array, size: number): Promise<Read> {
  // Everything about `carry` is taken now: its buffer may be handed to a worker (detached) while we read.
  const kept = carry.length;
  const buffer = new Uint8Array(pool.take(Math.max(size, kept + 1)));
  buffer.set(carry, 0);
  const { bytesRead } = await handle.read(buffer, kept, buffer.length - kept, null);
  return { buffer, filled: kept + bytesRead, added: bytesRead };
}

/** Yields chunks of whole lines; the final chunk holds whatever follows the last newline (maybe nothing). */
export async function* readChunks(path: string, pool: BufferPool, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<Chunk> {
  const handle = await open(path, 'r');
  let next: Promise<Read> | undefined;
  try {
    let seq = 0;
    let size = chunkSize;
    next = readAfter(handle, pool, new Uint8Array(0), size);
    for (;;) {
      const { buffer, filled, added } = await next;
      next = undefined;
      if (added === 0) {
        yield { seq: seq++, bytes: buffer.subarray(0, filled), final: true };
        return;
      }
      const cut = buffer.lastIndexOf(0x0a, filled - 1);
      if (cut < 0) {
        // One line longer than the buffer: grow until its end is in sight.
        size = buffer.length * 2;
        next = readAfter(handle, pool, buffer.subarray(0, filled), size);
        pool.release(buffer.buffer as ArrayBuffer); // readAfter copied the carry before its first await
        continue;
      }
      size = chunkSize;
      // Copies the unfinished line at once, so the caller may hand this buffer to a worker.
      next = readAfter(handle, pool, buffer.subarray(cut + 1, filled), size);
      yield { seq: seq++, bytes: buffer.subarray(0, cut + 1), final: false };
    }
  } finally {
    // Let a read still under way finish before the file closes (the caller stopped early or failed).
    await next?.catch(() => undefined);
    await handle.close();
  }
}
