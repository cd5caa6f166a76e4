// The audio form reader: the model a transcription form names (Whisper when none), the client's bytes kept unless an
// alias renames the model, and a malformed form a clear 400.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_AUDIO_MODEL, isMultipart, parseAudioForm } from '../../src/gateway/audio-form.js';

async function formBytes(fields: Record<string, string>): Promise<{ bytes: Uint8Array; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', new Blob([new Uint8Array([82, 73, 70, 70])], { type: 'audio/wav' }), 'clip.wav');
  const response = new Response(form);
  return { bytes: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get('content-type')! };
}

const same = (id: string): string => id;

describe('audio form', () => {
  test('isMultipart wants multipart/form-data with parameters', () => {
    assert.equal(isMultipart('multipart/form-data; boundary=x'), true);
    assert.equal(isMultipart('Multipart/Form-Data;boundary=x'), true);
    assert.equal(isMultipart('application/json'), false);
    assert.equal(isMultipart('multipart/form-data'), false);
    assert.equal(isMultipart(undefined), false);
  });

  test('the named model, and the client\'s bytes unchanged', async () => {
    const { bytes, contentType } = await formBytes({ model: 'openai/whisper-large-v3', language: 'en' });
    const parsed = await parseAudioForm(bytes, contentType, same);
    assert.ok(parsed.ok);
    assert.equal(parsed.form.model, 'openai/whisper-large-v3');
    assert.equal(parsed.form.bytes, bytes);
    assert.equal(parsed.form.contentType, contentType);
  });

  test('no model: Together\'s default, Whisper', async () => {
    const { bytes, contentType } = await formBytes({ language: 'en' });
    const parsed = await parseAudioForm(bytes, contentType, same);
    assert.ok(parsed.ok);
    assert.equal(parsed.form.model, DEFAULT_AUDIO_MODEL);
  });

  test('an alias rebuilds the form with the Together id, the file and other fields kept', async () => {
    const { bytes, contentType } = await formBytes({ model: 'stt', language: 'de' });
    const parsed = await parseAudioForm(bytes, contentType, (id) => (id === 'stt' ? 'openai/whisper-large-v3' : id));
    assert.ok(parsed.ok);
    assert.equal(parsed.form.model, 'openai/whisper-large-v3');
    const again = await new Response(parsed.form.bytes, { headers: { 'content-type': parsed.form.contentType } }).formData();
    assert.equal(again.get('model'), 'openai/whisper-large-v3');
    assert.equal(again.get('language'), 'de');
    assert.equal((again.get('file') as File).size, 4);
  });

  test('a malformed form is a 400 that says so', async () => {
    const parsed = await parseAudioForm(new TextEncoder().encode('not a form'), 'multipart/form-data; boundary=zzz', same);
    assert.ok(!parsed.ok);
    assert.equal(parsed.reply.status, 400);
    assert.equal(parsed.reply.body.error.code, 'invalid_request_body');
    assert.match(parsed.reply.body.error.message, /^The multipart\/form-data body could not be read/);
  });
});
