// The tokenizer thread's entry: builds tokenizers and encodes text for the thread client (thread-client.ts), so
// that a load's 0.1–1.6 s of parsing does not stop the main thread's event loop. Messages are answered by id.
import { parentPort } from 'node:worker_threads';
import { buildTokenizer, MissingPackageError, type NativeTokenizer } from './sources.js';
import type { ThreadReply, ThreadRequest } from './thread-client.js';

const tokenizers = new Map<string, Promise<NativeTokenizer>>();
/** Why each family's last load failed: the answer to the calls sent right behind that load. */
const failures = new Map<string, unknown>();

async function answer(request: ThreadRequest): Promise<ThreadReply> {
  try {
    if (request.op === 'load') {
      let pending = tokenizers.get(request.source.family);
      if (!pending) {
        pending = buildTokenizer(request.source);
        tokenizers.set(request.source.family, pending);
        // A failed build is not cached: the client reports it, and a later load may find the package installed.
        const family = request.source.family;
        pending.then(
          () => failures.delete(family),
          (error: unknown) => {
            tokenizers.delete(family);
            failures.set(family, error);
          },
        );
      }
      await pending;
      return { id: request.id, ok: true };
    }
    if (request.op === 'unload') {
      // Its native memory is returned when this thread's GC collects the tokenizer (or the thread ends).
      tokenizers.delete(request.family);
      return { id: request.id, ok: true };
    }
    const tokenizer = tokenizers.get(request.family);
    if (!tokenizer) throw failures.get(request.family) ?? new Error(`tokenizer ${request.family} is not loaded on the tokenizer thread`);
    const encoding = await (await tokenizer).encode(request.text, null, { addSpecialTokens: false });
    return { id: request.id, ok: true, value: request.op === 'ids' ? encoding.getIds() : encoding.getLength() };
  } catch (error) {
    return {
      id: request.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      missingPackage: error instanceof MissingPackageError,
    };
  }
}

parentPort?.on('message', (request: ThreadRequest) => {
  void answer(request).then((reply) => parentPort?.postMessage(reply));
});
