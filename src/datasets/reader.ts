// Reads a file as a sequence of chunks that end on a line break, so each chunk can be checked on its own.
// Blocks are read at known file positions, READ_AHEAD of them at once, so the next block is usually in memory by
// the time it is wanted (a thread that has just handed a chunk to a worker does not wait for the disk). Each
// block's buffer keeps room before the data for the unfinished line of the block before it, so a chunk is
// carried-over line + block without copying the block. Memory stays bounded: a buffer per block in flight or
// being checked, plus the longest line when it outgrows the room.
import { open } from 'node:fs/promises';

export interface Chunk {
  seq: number;
  /** Whole lines; a view into a buffer of its own (it may start past the buffer's beginning). */
  bytes: Uint8Array;
  /** The chunk that ends the file; its last line may have no newline. */
  final: boolean;
}

export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** Block reads under way ahead of the chunk being cut. */
const READ_AHEAD = 2;
const LF = 0x0a;

/** Room before a block's data for the previous block's unfinished line: lines up to this long cost no copy. */
export function headRoomFor(chunkSize: number): number {
  return Math.min(64 * 1024, chunkSize >> 2);
}

/** Hands out read buffers (room for the carried-over line, then a block); the caller gives them back once checked. */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** The size of a standard buffer. */
  readonly size: number;

  constructor(chunkSize: number) {
    this.size = headRoomFor(chunkSize) + chunkSize;
  }

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

interface Block {
  buffer: Uint8Array;
  /** File position of the block's first byte. */
  position: number;
  /** Bytes read, at buffer[head, head + bytesRead); 0 at the end of the file. */
  bytesRead: number;
}

/** The unfinished line, copied out of the block it ended, in a buffer that doubles as a long line grows. */
class Carry {
  private buffer = new Uint8Array(256);
  length = 0;

  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes.length));
      grown.set(this.bytes, 0);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Starts over with `bytes`; a buffer grown for a very long line is let go. */
  reset(bytes: Uint8Array): void {
    if (this.buffer.length > 1 << 20) this.buffer = new Uint8Array(256);
    this.length = 0;
    this.append(bytes);
  }
}

/** Yields chunks of whole lines; the final chunk holds whatever follows the last newline (maybe nothing). */
export async function* readChunks(path: string, pool: BufferPool, chunkSize = DEFAULT_CHUNK_SIZE): AsyncGenerator<Chunk> {
  const handle = await open(path, 'r');
  const head = headRoomFor(chunkSize);
  const reads: Promise<Block>[] = [];
  let position = 0;
  const readBlock = async (at: number): Promise<Block> => {
    const buffer = new Uint8Array(pool.take(head + chunkSize));
    const { bytesRead } = await handle.read(buffer, head, chunkSize, at);
    return { buffer, position: at, bytesRead };
  };
  const readAhead = (): void => {
    while (reads.length < READ_AHEAD) {
      const read = readBlock(position);
      read.catch(() => undefined); // awaited in turn below
      reads.push(read);
      position += chunkSize;
    }
  };
  /** Lets the reads under way finish (their buffers back to the pool) and forgets them. */
  const dropReads = async (): Promise<void> => {
    for (const read of reads.splice(0)) {
      const block = await read.catch(() => undefined);
      if (block !== undefined) pool.release(block.buffer.buffer as ArrayBuffer);
    }
  };
  const carry = new Carry();
  let seq = 0;
  let expected = 0;
  try {
    readAhead();
    for (;;) {
      const block = await reads.shift()!;
      if (block.position !== expected) {
        // A short read before: the file ended there (or changed); read on from where it really ended.
        pool.release(block.buffer.buffer as ArrayBuffer);
        await dropReads();
        position = expected;
        readAhead();
        continue;
      }
      const { buffer, bytesRead } = block;
      if (bytesRead === 0) {
        pool.release(buffer.buffer as ArrayBuffer);
        const last = new Uint8Array(pool.take(carry.length));
        last.set(carry.bytes, 0);
        yield { seq: seq++, bytes: last.subarray(0, carry.length), final: true };
        return;
      }
      expected = block.position + bytesRead;
      readAhead();
      const data = buffer.subarray(head, head + bytesRead);
      const cut = data.lastIndexOf(LF);
      if (cut < 0) {
        // No line ends in this block: it all belongs to a line that started before.
        carry.append(data);
        pool.release(buffer.buffer as ArrayBuffer);
        continue;
      }
      let bytes: Uint8Array;
      if (carry.length <= head) {
        buffer.set(carry.bytes, head - carry.length);
        bytes = buffer.subarray(head - carry.length, head + cut + 1);
      } else {
        const joined = new Uint8Array(pool.take(carry.length + cut + 1));
        joined.set(carry.bytes, 0);
        joined.set(data.subarray(0, cut + 1), carry.length);
        bytes = joined.subarray(0, carry.length + cut + 1);
      }
      // Copied now: the caller may hand the chunk's buffer to a worker (detached here) as soon as it has it.
      carry.reset(data.subarray(cut + 1));
      if (bytes.buffer !== buffer.buffer) pool.release(buffer.buffer as ArrayBuffer);
      yield { seq: seq++, bytes, final: false };
    }
  } finally {
    // Let the reads still under way finish before the file closes (the caller stopped early or failed).
    await dropReads();
    await handle.close();
  }
}
