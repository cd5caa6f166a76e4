// Issue 18: images, rerank, audio speech, transcriptions and translations on the emulator — Together's shapes,
// valid media bytes, limits, prices charged, and the same admission as chat (faults, 429, 402).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { KEY, call, start } from './helpers.js';
import type { RunningEmulator } from '../../src/emulator/index.js';

const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const RERANK = 'Salesforce/Llama-Rank-V1';
const TTS = 'cartesia/sonic-2';
const WHISPER = 'openai/whisper-large-v3';

let emu: RunningEmulator;
before(async () => {
  emu = await start({
    seed: 5,
    keys: [
      { key: KEY, name: 'main', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100, tier: 2 },
      { key: 'slow-key', name: 'slow', requestsPerSecond: 1, tokensPerMinute: 10_000_000, creditsUsd: 100, tier: 2 },
      { key: 'broke-key', name: 'broke', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 0, tier: 2 },
      { key: 'meter-key', name: 'meter', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 1, tier: 2 },
    ],
  });
});
after(() => emu.close());

async function post(path: string, body: string | FormData, headers: Record<string, string>, key = KEY): Promise<Response> {
  return fetch(`${emu.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body });
}

function audioForm(fields: Record<string, string>, file?: Buffer): FormData {
  const form = new FormData();
  if (file) form.append('file', new Blob([new Uint8Array(file)], { type: 'audio/wav' }), 'clip.wav');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

/** A 16-bit mono WAV of `seconds` at 16 kHz. */
function wavBytes(seconds: number): Buffer {
  const pcm = Buffer.alloc(Math.round(seconds * 16000) * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

describe('POST /v1/images/generations', () => {
  test('n PNGs of the asked size as base64, the same for the same seed', async () => {
    const body = { model: IMAGE, prompt: 'a lighthouse', n: 2, width: 256, height: 128, output_format: 'png', response_format: 'base64', seed: 7 };
    const reply = await call(emu, '/v1/images/generations', { body });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.object, 'list');
    assert.equal(reply.json.model, IMAGE);
    assert.equal(reply.json.data.length, 2);
    const png = Buffer.from(reply.json.data[0].b64_json, 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 256);
    assert.equal(png.readUInt32BE(20), 128);
    const idat = png.indexOf('IDAT', 0, 'latin1');
    const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    assert.equal(raw.length, 128 * (1 + 256 * 3), 'the pixel data inflates to the declared size');
    assert.equal(reply.json.data[0].type, 'b64_json');
    const again = await call(emu, '/v1/images/generations', { body });
    assert.equal(again.json.data[0].b64_json, reply.json.data[0].b64_json);
  });

  test('url by default, a baseline JPEG of the asked size by default', async () => {
    const reply = await call(emu, '/v1/images/generations', { body: { model: IMAGE, prompt: 'a lighthouse', width: 320, height: 200 } });
    assert.equal(reply.status, 200, reply.text);
    const { url, type } = reply.json.data[0];
    assert.equal(type, 'url');
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    assert.deepEqual([...bytes.subarray(-2)], [0xff, 0xd9], 'ends with EOI');
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    assert.ok(sof > 0, 'a baseline SOF0 frame');
    assert.deepEqual([bytes.readUInt16BE(sof + 5), bytes.readUInt16BE(sof + 7)], [200, 320]);
  });

  test('limits, a non-image model, and the price per megapixel charged', async () => {
    const tooBig = await call(emu, '/v1/images/generations', { body: { model: IMAGE, prompt: 'x', width: 4096 } });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.json.error.message, /Send `width` as a multiple of 8 from 64 to 2048/);
    const wrong = await call(emu, '/v1/images/generations', { body: { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', prompt: 'x' } });
    assert.equal(wrong.status, 400);
    assert.match(wrong.json.error.message, /does not support image generation/);
    // FLUX.1.1 pro at $0.04 per megapixel: 4 images of 1 MP cost $0.16, more than the $0.10 left.
    const pro = JSON.stringify({ model: 'black-forest-labs/FLUX.1.1-pro', prompt: 'x', n: 4, width: 1024, height: 1024 });
    emu.setCredits('meter-key', 0.1);
    assert.equal((await post('/v1/images/generations', pro, { 'content-type': 'application/json' }, 'meter-key')).status, 200);
    assert.equal((await post('/v1/images/generations', pro, { 'content-type': 'application/json' }, 'meter-key')).status, 402, 'the first answer was charged');
    // The -Free model costs nothing: the same credit lasts.
    emu.setCredits('meter-key', 0.000001);
    const free = JSON.stringify({ model: 'black-forest-labs/FLUX.1-schnell-Free', prompt: 'x', n: 4, width: 1024, height: 1024 });
    for (let i = 0; i < 3; i++) assert.equal((await post('/v1/images/generations', free, { 'content-type': 'application/json' }, 'meter-key')).status, 200);
  });
});

describe('POST /v1/rerank', () => {
  test('results sorted by relevance, top_n, documents returned on request, usage counted', async () => {
    const documents = ['Pandas live in China.', 'Llamas live in Peru and Bolivia.', 'The stock market fell today.'];
    const reply = await call(emu, '/v1/rerank', { body: { model: RERANK, query: 'Which animals live in Peru?', documents, top_n: 2, return_documents: true } });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.object, 'rerank');
    assert.equal(reply.json.results.length, 2);
    assert.equal(reply.json.results[0].index, 1);
    assert.equal(reply.json.results[0].document.text, documents[1]);
    assert.ok(reply.json.results[0].relevance_score >= reply.json.results[1].relevance_score);
    assert.ok(reply.json.usage.total_tokens > 0);
    const objects = await call(emu, '/v1/rerank', {
      body: { model: RERANK, query: 'Peru', documents: [{ title: 'Llama', text: 'Peru' }, { title: 'Panda', text: 'China' }], rank_fields: ['title', 'text'] },
    });
    assert.equal(objects.status, 200, objects.text);
    assert.deepEqual(objects.json.results[0].document, { text: null });
  });

  test('bad input is a 400 naming the field', async () => {
    const empty = await call(emu, '/v1/rerank', { body: { model: RERANK, query: 'x', documents: [] } });
    assert.equal(empty.status, 400);
    assert.match(empty.json.error.message, /documents/);
    const field = await call(emu, '/v1/rerank', { body: { model: RERANK, query: 'x', documents: [{ title: 'a' }], rank_fields: ['body'] } });
    assert.equal(field.status, 400);
    assert.match(field.json.error.message, /"body"/);
  });
});

describe('POST /v1/audio/speech', () => {
  test('WAV, MP3 and raw bytes with their content types; length follows the text', async () => {
    const body = { model: TTS, input: 'Hello from the emulator, this is a test.', voice: 'friendly sidekick' };
    const wav = await post('/v1/audio/speech', JSON.stringify(body), { 'content-type': 'application/json' });
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    const wavBytesOut = Buffer.from(await wav.arrayBuffer());
    assert.equal(wavBytesOut.toString('latin1', 0, 4), 'RIFF');
    assert.equal(wavBytesOut.toString('latin1', 8, 12), 'WAVE');
    const data = wavBytesOut.indexOf('data', 12, 'latin1');
    assert.equal(wavBytesOut.readUInt32LE(data + 4), wavBytesOut.length - data - 8, 'the data chunk runs to the end');
    assert.equal(wavBytesOut.readUInt16LE(20), 3, 'float PCM, the default pcm_f32le');
    const mp3 = await post('/v1/audio/speech', JSON.stringify({ ...body, response_format: 'mp3' }), { 'content-type': 'application/json' });
    assert.equal(mp3.headers.get('content-type'), 'audio/mpeg');
    const mp3Bytes = Buffer.from(await mp3.arrayBuffer());
    assert.equal(mp3Bytes[0], 0xff);
    assert.equal((mp3Bytes[1] as number) & 0xe0, 0xe0, 'an MPEG frame sync');
    const raw = await post('/v1/audio/speech', JSON.stringify({ ...body, response_format: 'raw', response_encoding: 'pcm_s16le', sample_rate: 8000 }), { 'content-type': 'application/json' });
    assert.equal(raw.headers.get('content-type'), 'application/octet-stream');
    const seconds = body.input.length / 15;
    assert.equal((await raw.arrayBuffer()).byteLength, Math.round(Math.round(seconds * 100) / 100 * 8000) * 2);
  });

  test('stream: SSE chunks of base64 audio, then [DONE]', async () => {
    const reply = await call(emu, '/v1/audio/speech', { body: { model: TTS, input: 'Hi there', voice: 'v', stream: true } });
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = reply.text.split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const first = JSON.parse((events[0] as string).slice(6));
    assert.equal(first.object, 'audio.tts.chunk');
    assert.ok(Buffer.from(first.b64, 'base64').length > 0);
  });

  test('a missing voice, a too-long input and a non-speech model are 400s', async () => {
    const noVoice = await call(emu, '/v1/audio/speech', { body: { model: TTS, input: 'x' } });
    assert.equal(noVoice.status, 400);
    assert.match(noVoice.json.error.message, /`voice` is required\. Send `voice` as the name of one of the model's voices/);
    const long = await call(emu, '/v1/audio/speech', { body: { model: TTS, input: 'x'.repeat(5000), voice: 'v' } });
    assert.equal(long.status, 400);
    const whisper = await call(emu, '/v1/audio/speech', { body: { model: WHISPER, input: 'x', voice: 'v' } });
    assert.equal(whisper.status, 400);
    assert.match(whisper.json.error.message, /does not support speech/);
  });
});

describe('POST /v1/audio/transcriptions and /translations', () => {
  test('json and verbose_json (duration from the WAV header, word timestamps, diarization)', async () => {
    const clip = wavBytes(3);
    const plain = await post('/v1/audio/transcriptions', audioForm({ model: WHISPER }, clip), {});
    assert.equal(plain.status, 200);
    const text = ((await plain.json()) as { text: string }).text;
    assert.ok(text.length > 0);
    const verbose = await post('/v1/audio/transcriptions', audioForm({ model: WHISPER, response_format: 'verbose_json', 'timestamp_granularities[]': 'word', diarize: 'true', language: 'fr' }, clip), {});
    const v = (await verbose.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(v.task, 'transcribe');
    assert.equal(v.language, 'fr');
    assert.equal(v.duration, 3);
    assert.equal(v.text, text, 'the same audio, the same text');
    assert.ok(v.words.length > 0 && v.words.every((w: { speaker_id: string }) => w.speaker_id === 'SPEAKER_00'));
    assert.equal(v.speaker_segments[0].speaker_id, 'SPEAKER_00');
    const translated = await post('/v1/audio/translations', audioForm({ response_format: 'verbose_json', language: 'fr' }, clip), {});
    const t = (await translated.json()) as { task: string; language: string };
    assert.equal(t.task, 'translate');
    assert.equal(t.language, 'en');
  });

  test('no file, a non-multipart body, a bad response_format and an oversized upload are clear 4xx', async () => {
    const none = await post('/v1/audio/transcriptions', audioForm({ model: WHISPER }), {});
    assert.equal(none.status, 400);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /no `file`/);
    const json = await post('/v1/audio/transcriptions', '{}', { 'content-type': 'application/json' });
    assert.equal(json.status, 400);
    assert.match(((await json.json()) as { error: { message: string } }).error.message, /multipart\/form-data/);
    const format = await post('/v1/audio/transcriptions', audioForm({ response_format: 'srt' }, wavBytes(0.1)), {});
    assert.equal(format.status, 400);
    const huge = await post('/v1/audio/transcriptions', audioForm({}, Buffer.alloc(26 * 1024 * 1024)), {});
    assert.equal(huge.status, 413);
  });
});

describe('the same admission as chat', () => {
  test('503 faults, 429 bursts and 402 without credit on every new endpoint', async () => {
    const requests: [string, () => Promise<Response>, string][] = [
      ['images', () => post('/v1/images/generations', JSON.stringify({ model: IMAGE, prompt: 'x', width: 64, height: 64 }), { 'content-type': 'application/json' }, currentKey), IMAGE],
      ['rerank', () => post('/v1/rerank', JSON.stringify({ model: RERANK, query: 'q', documents: ['d'] }), { 'content-type': 'application/json' }, currentKey), RERANK],
      ['speech', () => post('/v1/audio/speech', JSON.stringify({ model: TTS, input: 'x', voice: 'v' }), { 'content-type': 'application/json' }, currentKey), TTS],
      ['transcription', () => post('/v1/audio/transcriptions', audioForm({ model: WHISPER }, wavBytes(0.2)), {}, currentKey), WHISPER],
    ];
    let currentKey = KEY;
    for (const [name, send, model] of requests) {
      emu.setFaults([{ kind: 'status', status: 503, model }]);
      currentKey = KEY;
      assert.equal((await send()).status, 503, `${name}: 503 fault`);
      emu.setFaults([]);
      currentKey = 'broke-key';
      const broke = await send();
      assert.equal(broke.status, 402, `${name}: 402`);
      assert.equal(((await broke.json()) as { error: { type: string } }).error.type, 'credit_limit');
      currentKey = 'slow-key';
      emu.reset({ limits: true });
      const statuses = await Promise.all([send(), send(), send()]).then((rs) => rs.map((r) => r.status));
      assert.ok(statuses.includes(429), `${name}: ${statuses.join(',')}`);
    }
  });
});
