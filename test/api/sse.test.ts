import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSSE, formatSSE, forwardSSE, formatSSEComment, SSE_DONE, SSEStreamError } from '../../src/api/index.js';

const encoder = new TextEncoder();

/** A body that yields the given pieces as bytes, then ends (or throws `failWith`). */
async function* bytes(pieces: readonly string[], failWith?: Error): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield encoder.encode(piece);
  if (failWith) throw failWith;
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function failure(iterable: AsyncIterable<unknown>): Promise<{ error: SSEStreamError; seen: unknown[] }> {
  const seen: unknown[] = [];
  try {
    for await (const item of iterable) seen.push(item);
  } catch (error) {
    assert.ok(error instanceof SSEStreamError, `expected SSEStreamError, got ${String(error)}`);
    return { error, seen };
  }
  assert.fail('the stream ended cleanly but should have failed');
}

// A real Together chunk shape (see together-api-facts.md §5).
const chunk = (content: string, extra: Record<string, unknown> = {}) => ({
  id: 'ogzjdpL-6Ng1vN-9f391a08f8af75e1',
  object: 'chat.completion.chunk',
  created: 1777370000,
  model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
  choices: [{ index: 0, text: content, logprobs: null, finish_reason: null, seed: null, delta: { token_id: 1234, role: 'assistant', content } }],
  usage: null,
  ...extra,
});

describe('parseSSE', () => {
  test('yields each data frame as JSON and stops at [DONE]', async () => {
    const body = [formatSSE(chunk('Hel')), formatSSE(chunk('lo')), SSE_DONE].join('');
    const chunks = await all(parseSSE<ReturnType<typeof chunk>>(bytes([body])));
    assert.deepEqual(
      chunks.map((c) => c.choices[0]?.delta.content),
      ['Hel', 'lo'],
    );
    assert.equal(chunks[0]?.choices[0]?.delta.token_id, 1234);
  });

  test('frames split at every possible byte boundary parse the same', async () => {
    const body = `${formatSSE(chunk('é✓'))}${formatSSE(chunk('x'))}${SSE_DONE}`;
    const raw = encoder.encode(body);
    for (let cut = 1; cut < raw.length; cut += 1) {
      async function* split(): AsyncGenerator<Uint8Array> {
        yield raw.slice(0, cut);
        yield raw.slice(cut);
      }
      const chunks = await all(parseSSE<ReturnType<typeof chunk>>(split()));
      assert.deepEqual(
        chunks.map((c) => c.choices[0]?.delta.content),
        ['é✓', 'x'],
        `split at byte ${cut}`,
      );
    }
  });

  test('CRLF line endings, comments, blank keep-alives and named non-message events are handled', async () => {
    const body = [
      ': keep-alive\r\n\r\n',
      'data: {"n":1}\r\n\r\n',
      'event: ping\r\ndata: {"ignored":true}\r\n\r\n',
      '\r\n',
      'event: message\r\ndata: {"n":2}\r\n\r\n',
      'data: [DONE]\r\n\r\n',
    ];
    assert.deepEqual(await all(parseSSE(bytes(body))), [{ n: 1 }, { n: 2 }]);
  });

  test('a multi-line data field is joined with newlines before parsing', async () => {
    const body = 'data: {"a":\ndata: 1}\n\ndata: [DONE]\n\n';
    assert.deepEqual(await all(parseSSE(bytes([body]))), [{ a: 1 }]);
  });

  test('a [DONE] without its trailing blank line still ends the stream cleanly', async () => {
    assert.deepEqual(await all(parseSSE(bytes(['data: {"n":1}\n\ndata: [DONE]\n']))), [{ n: 1 }]);
  });

  test('a stream that ends without [DONE] is a cut, with the number of chunks delivered', async () => {
    const { error, seen } = await failure(parseSSE(bytes([formatSSE({ n: 1 }), formatSSE({ n: 2 })])));
    assert.equal(error.kind, 'cut');
    assert.equal(error.chunksReceived, 2);
    assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
    const midFrame = await failure(parseSSE(bytes([formatSSE({ n: 1 }), 'data: {"n":2}'])));
    assert.equal(midFrame.error.kind, 'cut', 'a frame the stream never finished is a cut, not malformed JSON');
    assert.equal(midFrame.error.chunksReceived, 1);
    const empty = await failure(parseSSE(bytes([])));
    assert.equal(empty.error.kind, 'cut');
    assert.equal(empty.error.chunksReceived, 0);
  });

  test('a body that fails mid-way is a cut that keeps the underlying error', async () => {
    const socketError = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const { error } = await failure(parseSSE(bytes([formatSSE({ n: 1 }), 'data: {"par'], socketError)));
    assert.equal(error.kind, 'cut');
    assert.equal(error.chunksReceived, 1);
    assert.equal(error.cause, socketError);
  });

  test('an error object inside a data frame is surfaced with the inner error', async () => {
    const body = [formatSSE({ n: 1 }), formatSSE({ error: { message: 'model overloaded', type: 'server_error', code: null } })];
    const { error, seen } = await failure(parseSSE(bytes(body)));
    assert.equal(error.kind, 'error_event');
    assert.equal(error.frame, 2);
    assert.deepEqual(error.error, { message: 'model overloaded', type: 'server_error', code: null });
    assert.match(error.message, /model overloaded/);
    assert.deepEqual(seen, [{ n: 1 }]);
  });

  test('an `event: error` frame is surfaced too, JSON or not', async () => {
    const json = await failure(parseSSE(bytes(['event: error\ndata: {"message":"boom"}\n\n'])));
    assert.equal(json.error.kind, 'error_event');
    assert.deepEqual(json.error.error, { message: 'boom' });
    const text = await failure(parseSSE(bytes(['event: error\ndata: upstream went away\n\n'])));
    assert.equal(text.error.kind, 'error_event');
    assert.equal(text.error.error, 'upstream went away');
  });

  test('malformed JSON in a frame is an error naming the frame and quoting it', async () => {
    const { error } = await failure(parseSSE(bytes([formatSSE({ n: 1 }), 'data: {"n": 2,,}\n\n', SSE_DONE])));
    assert.equal(error.kind, 'malformed');
    assert.equal(error.frame, 2);
    assert.equal(error.data, '{"n": 2,,}');
    assert.match(error.message, /frame 2 is not valid JSON/);
  });

  test('breaking out early closes the source', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; ; i += 1) yield encoder.encode(formatSSE({ i }));
      } finally {
        closed = true;
      }
    }
    for await (const item of parseSSE<{ i: number }>(source())) {
      if (item.i === 2) break;
    }
    assert.equal(closed, true);
  });

  test('an abort rejects with the signal reason even while the source is silent', async () => {
    const controller = new AbortController();
    const reason = new Error('idle');
    let release: () => void = () => undefined;
    async function* silent(): AsyncGenerator<Uint8Array> {
      yield encoder.encode(formatSSE({ n: 1 }));
      await new Promise<void>((resolve) => (release = resolve));
    }
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const item of parseSSE(silent(), { signal: controller.signal })) {
          seen.push(item);
          setTimeout(() => controller.abort(reason), 5);
        }
      })(),
      (error) => error === reason,
    );
    assert.deepEqual(seen, [{ n: 1 }]);
    release();
  });
});

describe('SSE serializer', () => {
  test('formatSSE output round-trips through parseSSE', async () => {
    const values = [chunk('a'), { weird: 'line\nbreak' }, [1, 2]];
    const body = values.map((v) => formatSSE(v)).join('') + formatSSEComment('ping\nping') + SSE_DONE;
    assert.deepEqual(await all(parseSSE(bytes([body]))), values);
    assert.equal(formatSSE({ a: 1 }, 'error'), 'event: error\ndata: {"a":1}\n\n');
    assert.equal(SSE_DONE, 'data: [DONE]\n\n');
    assert.equal(formatSSEComment('ping\nping'), ': ping\n: ping\n\n');
  });
});

describe('forwardSSE', () => {
  test('a parsed chunk goes on as the upstream wrote it, spacing and key order included', async () => {
    const frames = ['data: {"b": 1,  "a":[ 2 ]}\n\n', 'data:{"x":"é✓"}\n\n'];
    const chunks = await all(parseSSE(bytes([...frames, SSE_DONE])));
    assert.deepEqual(chunks, [{ b: 1, a: [2] }, { x: 'é✓' }]);
    assert.equal(forwardSSE(chunks[0]), frames[0]);
    assert.equal(forwardSSE(chunks[1]), 'data: {"x":"é✓"}\n\n');
  });

  test('a multi-line data field and any value parseSSE did not yield are written as JSON', async () => {
    const [multi] = await all(parseSSE(bytes(['data: {"a":\ndata: 1}\n\n', SSE_DONE])));
    assert.deepEqual(multi, { a: 1 });
    assert.equal(forwardSSE(multi), 'data: {"a":1}\n\n');
    assert.equal(forwardSSE({ n: 1 }), formatSSE({ n: 1 }));
    assert.equal(forwardSSE('text'), 'data: "text"\n\n');
  });
});
