// The response body handed to callers: a byte stream that can also be read whole as text or JSON.
// Reading it twice, or both ways, is a programming error reported as such.
import type { Dispatcher } from 'undici';
import { responseTooLargeError } from '../errors/index.js';

export interface ResponseBody extends AsyncIterable<Uint8Array> {
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** The whole body parsed as JSON; a non-JSON body is an error quoting its start. */
  json(): Promise<unknown>;
  /** Read and discard the rest of the body so the connection can be reused. */
  dump(): Promise<void>;
  /** Whether reading has started (a body can be consumed once). */
  readonly used: boolean;
}

/** Turn an error thrown while reading the body into the error the caller should see. */
export type BodyErrorMapper = (error: unknown) => unknown;

const SNIPPET_CHARS = 200;

/** The reason a body is destroyed with when its reader stops early: one object, never shown to anyone. */
const STOPPED_EARLY = new Error('The response body was not read to its end.');

function ignore(): void {}

/** `maxBytes`: the most `text()`/`json()` read; past it the body is destroyed (its connection closed) with a clear error. */
/** `scrub`: applied to what `text()`/`json()` read (an error answer's body loses every form of the keys in use). */
export function wrapBody(
  raw: Dispatcher.ResponseData['body'],
  mapError: BodyErrorMapper,
  maxBytes: number = Infinity,
  scrub?: (text: string) => string,
): ResponseBody {
  return new WrappedBody(raw, mapError, maxBytes, scrub);
}

function alreadyConsumed(how: string): Error {
  return new Error(`Response body already consumed; cannot ${how} it again`);
}

/** A class rather than a handful of closures: every response makes one. */
class WrappedBody implements ResponseBody {
  private consumed = false;

  constructor(
    private readonly raw: Dispatcher.ResponseData['body'],
    private readonly mapError: BodyErrorMapper,
    private readonly maxBytes: number,
    private readonly scrub: ((text: string) => string) | undefined,
  ) {}

  get used(): boolean {
    return this.consumed;
  }

  text(): Promise<string> {
    if (this.consumed) return Promise.reject(alreadyConsumed('read'));
    this.consumed = true;
    return this.readText();
  }

  async json(): Promise<unknown> {
    this.claim('read');
    const text = await this.readText();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const snippet = text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
      throw new SyntaxError(`Response body is not JSON: ${JSON.stringify(snippet)}`);
    }
  }

  async dump(): Promise<void> {
    if (this.consumed) return;
    this.consumed = true;
    try {
      await this.raw.dump();
    } catch {
      // Discarding a body that fails is still discarding it.
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    this.claim('iterate');
    if (this.scrub !== undefined) {
      // An error answer passed on as a stream (resilientFetch's pass-through): read whole (it is small, and bounded
      // by maxBytes) so that a key split between two chunks is still found, then handed on scrubbed in one piece.
      yield Buffer.from(await this.readText(), 'utf8');
      return;
    }
    let finished = false;
    try {
      for await (const chunk of this.raw.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array;
      finished = true;
    } catch (error) {
      finished = true;
      throw this.mapError(error);
    } finally {
      // The reader stopped early (a stream's `[DONE]` is usually read before the body's end): stop the body. Node's
      // own early return would destroy it with a new AbortError, whose stack trace cost ~15 µs per stream.
      if (!finished && !this.raw.destroyed) {
        this.raw.on('error', ignore);
        this.raw.destroy(STOPPED_EARLY);
      }
    }
  }

  private claim(how: string): void {
    if (this.consumed) throw alreadyConsumed(how);
    this.consumed = true;
  }

  private async readText(): Promise<string> {
    const text = await this.readWhole();
    return this.scrub === undefined ? text : this.scrub(text);
  }

  private readWhole(): Promise<string> {
    if (this.maxBytes === Infinity) {
      return this.raw.text().catch((error: unknown) => {
        throw this.mapError(error);
      });
    }
    return this.readBounded();
  }

  /** The whole body, counted as it arrives: past `maxBytes` it is destroyed and nothing read is kept. */
  private async readBounded(): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.raw) {
        const bytes = chunk as Buffer;
        size += bytes.length;
        if (size > this.maxBytes) {
          const error = responseTooLargeError(this.maxBytes);
          this.raw.on('error', ignore);
          this.raw.destroy(error);
          chunks.length = 0;
          throw error;
        }
        chunks.push(bytes);
      }
    } catch (error) {
      throw this.mapError(error);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }
}
