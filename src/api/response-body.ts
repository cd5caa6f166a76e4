// The response body handed to callers: a byte stream that can also be read whole as text or JSON.
// Reading it twice, or both ways, is a programming error reported as such.
import type { Dispatcher } from 'undici';

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

export function wrapBody(raw: Dispatcher.ResponseData['body'], mapError: BodyErrorMapper): ResponseBody {
  let used = false;
  const claim = (how: string): void => {
    if (used) throw new Error(`Response body already consumed; cannot ${how} it again`);
    used = true;
  };
  const readText = async (): Promise<string> => {
    try {
      return await raw.text();
    } catch (error) {
      throw mapError(error);
    }
  };
  return {
    get used() {
      return used;
    },
    async text() {
      claim('read');
      return readText();
    },
    async json() {
      claim('read');
      const text = await readText();
      try {
        return JSON.parse(text) as unknown;
      } catch {
        const snippet = text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
        throw new SyntaxError(`Response body is not JSON: ${JSON.stringify(snippet)}`);
      }
    },
    async dump() {
      if (used) return;
      used = true;
      try {
        await raw.dump();
      } catch {
        // Discarding a body that fails is still discarding it.
      }
    },
    async *[Symbol.asyncIterator]() {
      claim('iterate');
      try {
        for await (const chunk of raw) yield chunk as Uint8Array;
      } catch (error) {
        throw mapError(error);
      }
    },
  };
}
