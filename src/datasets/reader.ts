// Reads a file as a sequence of chunks that end on a line break, so each chunk can be checked on its own.
// Memory stays bounded: one read buffer per chunk in flight, plus the longest line when it outgrows a chunk.
import { open } from 'node:fs/promises';

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

/** Yields chunks of whole lines; the final chunk holds whatever follows the last newline (maybe nothing). */
export async function* readChunks(path: string, pool: BufferPool, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<Chunk> {
  const handle = await open(path, 'r');
  try {
    let carry: Uint8Array = new Uint8Array(0);
    let size = chunkSize;
    let seq = 0;
    for (;;) {
      const buffer = new Uint8Array(pool.take(Math.max(size, carry.length + 1)));
      buffer.set(carry, 0);
      let filled = carry.length;
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      filled += bytesRead;
      if (bytesRead === 0) {
        yield { seq: seq++, bytes: buffer.subarray(0, filled), final: true };
        return;
      }
      const cut = buffer.lastIndexOf(0x0a, filled - 1);
      if (cut < 0) {
        // One line longer than the buffer: grow until its end is in sight.
        carry = buffer.slice(0, filled);
        pool.release(buffer.buffer);
        size = buffer.length * 2;
        continue;
      }
      carry = buffer.slice(cut + 1, filled);
      size = chunkSize;
      yield { seq: seq++, bytes: buffer.subarray(0, cut + 1), final: false };
    }
  } finally {
    await handle.close();
  }
}
