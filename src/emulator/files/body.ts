// Streaming a request body into a sink (a multipart parser, a file buffer) chunk by chunk. A sink refuses the
// body by throwing BodyRejected (too large, malformed); the rest is then read and dropped so the client can
// read the error, unless it goes on past `drainLimit` more bytes, when the socket is dropped.
import { internalError } from '../errors.js';
import type { EmulatorError } from '../errors.js';
import { resetConnection } from '../http.js';
import type { Exchange } from '../http.js';

export class BodyRejected extends Error {
  override readonly name = 'BodyRejected';
  constructor(readonly error: EmulatorError) {
    super(error.error.message);
  }
}

export interface BodySink {
  write(chunk: Buffer): void;
  /** The body ended; may still reject it (e.g. an unterminated multipart body). */
  end(): void;
}

export type StreamResult = { ok: true } | { ok: false; error: EmulatorError } | { ok: false; gone: true };

export function streamBody(ex: Exchange, sink: BodySink, drainLimit: number): Promise<StreamResult> {
  return new Promise((resolve) => {
    let rejected: EmulatorError | undefined;
    let dropped = 0;
    let settled = false;
    const settle = (result: StreamResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const guard = (step: () => void): void => {
      try {
        step();
      } catch (error) {
        rejected = error instanceof BodyRejected ? error.error : internalError();
      }
    };
    ex.req.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (rejected === undefined) return guard(() => sink.write(chunk));
      dropped += chunk.length;
      if (dropped > drainLimit) {
        resetConnection(ex);
        settle({ ok: false, gone: true });
      }
    });
    ex.req.on('error', () => settle({ ok: false, gone: true }));
    ex.req.on('aborted', () => settle({ ok: false, gone: true }));
    ex.req.on('close', () => {
      if (!ex.req.complete) settle({ ok: false, gone: true });
    });
    ex.req.on('end', () => {
      if (rejected === undefined) guard(() => sink.end());
      settle(rejected === undefined ? { ok: true } : { ok: false, error: rejected });
    });
  });
}

/** Collects a file's bytes up to `limit`, refusing the body with `tooLarge` past it. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  size = 0;

  constructor(
    private readonly limit: number,
    private readonly tooLarge: () => EmulatorError,
  ) {}

  push(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.chunks = [];
      throw new BodyRejected(this.tooLarge());
    }
    this.chunks.push(chunk);
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
