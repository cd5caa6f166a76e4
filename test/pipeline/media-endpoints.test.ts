// Images, rerank and audio through the pipeline: the model is checked, the path is Together's, a form goes up as
// the caller's bytes with its own media type and never moves to another model, and no tokens are charged.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TogetherError } from '../../src/errors/index.js';
import type { JsonResult } from '../../src/pipeline/index.js';
import { errorBody } from './fake-transport.js';
import { harness } from './helpers.js';

const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const WHISPER = 'openai/whisper-large-v3';

async function rejection(promise: Promise<unknown>): Promise<TogetherError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TogetherError, String(error));
  return error;
}

describe('pipeline: media endpoints', () => {
  test('images go to /images/generations with the caller\'s bytes; a body without a model is refused unsent', async () => {
    const h = harness(() => ({ kind: 'json', body: { id: 'img-1', model: IMAGE, object: 'list', data: [{ index: 0, url: 'https://x' }] } }));
    const raw = JSON.stringify({ model: IMAGE, prompt: 'a fox' });
    const result = (await h.pipeline.send({ endpoint: 'images', body: JSON.parse(raw) as unknown, rawBody: raw })) as JsonResult;
    assert.equal(result.kind, 'json');
    assert.equal(h.transport.calls[0]!.path, '/images/generations');
    assert.equal(h.transport.calls[0]!.body, raw);
    const missing = await rejection(h.pipeline.send({ endpoint: 'rerank', body: { query: 'q', documents: ['d'] } }));
    assert.equal(missing.code, 'invalid_request_body');
    assert.equal(missing.param, 'model');
    assert.equal(h.transport.calls.length, 1);
    await h.pipeline.close();
  });

  test('a multipart form is sent as is, with its content type, and is not moved to a fallback on a 503', async () => {
    const h = harness(() => ({ kind: 'error', status: 503, body: errorBody('overloaded') }), { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const form = new TextEncoder().encode('--b\r\ncontent-disposition: form-data; name="model"\r\n\r\nopenai/whisper-large-v3\r\n--b--\r\n');
    const error = await rejection(
      h.pipeline.send({ endpoint: 'transcriptions', body: { model: WHISPER }, rawBody: form, contentType: 'multipart/form-data; boundary=b', overrides: { fallbacks: [IMAGE] } }),
    );
    assert.equal(error.status, 503);
    assert.equal(h.transport.calls.length, 2, 'two attempts, both on the form\'s own model');
    for (const call of h.transport.calls) {
      assert.equal(call.path, '/audio/transcriptions');
      assert.equal(call.body, form);
      assert.equal(call.headers?.['content-type'], 'multipart/form-data; boundary=b');
      assert.notEqual(call.jsonText, true);
    }
    await h.pipeline.close();
  });

  test('a contentType without the bytes to send is a validation error', async () => {
    const h = harness(() => ({ kind: 'json', body: {} }));
    const error = await rejection(h.pipeline.send({ endpoint: 'translations', body: { model: WHISPER }, contentType: 'multipart/form-data; boundary=b' }));
    assert.equal(error.category, 'validation');
    assert.equal(h.transport.calls.length, 0);
    await h.pipeline.close();
  });

  test('speech answers bytes: handed over as binary with their media type', async () => {
    const h = harness(() => ({ kind: 'json', body: {}, headers: { 'content-type': 'audio/mpeg' } }));
    const result = (await h.pipeline.send({ endpoint: 'speech', body: { model: 'cartesia/sonic-2', input: 'hi', voice: 'v' } })) as JsonResult;
    assert.equal(result.binary?.contentType, 'audio/mpeg');
    assert.ok(result.binary!.bytes.byteLength > 0);
    assert.equal(result.body, undefined);
    await h.pipeline.close();
  });
});
