// The unmodified `together-ai` SDK reaches images, rerank and audio through the gateway, and gets what it gets from
// the emulator directly; those calls go through the pipeline: retried on a 503, stopped after a 402, measured.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Together, { APIError as TogetherAPIError, toFile } from 'together-ai';
import { startEmulator } from '../../src/emulator/index.js';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, testKeys } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const RERANK = 'Salesforce/Llama-Rank-V1';
const TTS = 'cartesia/sonic-2';
const WHISPER = 'openai/whisper-large-v3';
const TOKEN = 'gw-media-main';
const BROKE_TOKEN = 'gw-media-broke';

/** `seconds` of 16 kHz 16-bit mono silence as a WAV file. */
function wavClip(seconds: number): Buffer {
  const pcm = Buffer.alloc(16000 * 2 * seconds);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

describe('together-ai SDK: images, rerank and audio through the gateway', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  const viaGateway = (token = TOKEN) => new Together({ apiKey: token, baseURL: gateway.baseUrl, maxRetries: 0 });
  const direct = (key: string = KEYS.main) => new Together({ apiKey: key, baseURL: emu.baseUrl, maxRetries: 0 });

  before(async () => {
    emu = await startEmulator({ port: 0, seed: 1, faults: [], keys: (testKeys() ?? []).map((k) => ({ ...k, tier: 2 })) });
    gateway = await createGateway(
      {
        port: 0,
        logLevel: 'silent',
        upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main, keys: [{ name: 'broke', apiKey: KEYS.broke }] },
        clients: [
          { name: 'main', token: TOKEN },
          { name: 'broke', token: BROKE_TOKEN, upstreamKey: 'broke' },
        ],
        policies: { retries: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, breaker: { threshold: 100 } },
      },
      { env: {} },
    );
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  test('images.generate: the same images as direct, with the pipeline\'s headers', async () => {
    const request = { model: IMAGE, prompt: 'a red fox', n: 2, width: 128, height: 64, output_format: 'png' as const, response_format: 'base64' as const };
    const { data: gw, response } = await viaGateway().images.generate(request).withResponse();
    const plain = await direct().images.generate(request);
    assert.equal(gw.data.length, 2);
    assert.deepEqual(gw.data, plain.data);
    assert.equal(response.headers.get('x-tether-model'), IMAGE);
    assert.match(response.headers.get('x-ratelimit-remaining') ?? '', /^\d+$/);
  });

  test('rerank.create: the same ranking as direct', async () => {
    const request = { model: RERANK, query: 'cities in France', documents: ['Paris is in France', 'Berlin is in Germany', 'Lyon is a French city'], top_n: 2, return_documents: true };
    const gw = await viaGateway().rerank.create(request);
    const plain = await direct().rerank.create(request);
    assert.deepEqual(gw.results, plain.results);
    assert.equal(gw.results.length, 2);
  });

  test('audio.speech.create: the same MP3 bytes as direct, and a stream of base64 chunks', async () => {
    const request = { model: TTS, input: 'Hello through the gateway.', voice: 'friendly sidekick', response_format: 'mp3' as const };
    const gw = Buffer.from(await (await viaGateway().audio.speech.create(request)).arrayBuffer());
    const plain = Buffer.from(await (await direct().audio.speech.create(request)).arrayBuffer());
    assert.ok(gw.length > 400);
    assert.ok(gw.equals(plain), 'the audio differs');
    const stream = await viaGateway().audio.speech.create({ model: TTS, input: 'Hi', voice: 'v', stream: true });
    let bytes = 0;
    for await (const chunk of stream) bytes += Buffer.from(chunk.b64, 'base64').length;
    assert.ok(bytes > 0);
  });

  test('audio.transcriptions and audio.translations: a WAV upload, the same text as direct', async () => {
    const gw = await viaGateway().audio.transcriptions.create({ file: await toFile(wavClip(1), 'clip.wav', { type: 'audio/wav' }), model: WHISPER });
    const plain = await direct().audio.transcriptions.create({ file: await toFile(wavClip(1), 'clip.wav', { type: 'audio/wav' }), model: WHISPER });
    assert.deepEqual(gw, plain);
    const translated = await viaGateway().audio.translations.create({ file: await toFile(wavClip(1), 'clip.wav', { type: 'audio/wav' }), model: WHISPER, response_format: 'verbose_json' });
    const translatedDirect = await direct().audio.translations.create({ file: await toFile(wavClip(1), 'clip.wav', { type: 'audio/wav' }), model: WHISPER, response_format: 'verbose_json' });
    assert.deepEqual(translated, translatedDirect);
  });

  test('a 503 on the image model: retried by the pipeline (3 attempts), then answered by another FLUX model', async () => {
    const before = emu.stats().byModel[IMAGE] ?? 0;
    emu.setFaults([{ kind: 'status', status: 503, rate: 1, model: IMAGE }]);
    try {
      const { data, response } = await viaGateway().images.generate({ model: IMAGE, prompt: 'x' }).withResponse();
      assert.equal(data.data.length, 1);
      const answeredBy = response.headers.get('x-tether-model') ?? '';
      assert.notEqual(answeredBy, IMAGE);
      assert.match(answeredBy, /FLUX/);
      assert.equal(response.headers.get('x-tether-attempts'), '4');
    } finally {
      emu.setFaults([]);
    }
    assert.equal((emu.stats().byModel[IMAGE] ?? 0) - before, 3, 'attempts on the overloaded model that reached the emulator');
  });

  test('a 402 on images stops the key: rerank is refused at once with Together\'s 402 body', async () => {
    const first = await viaGateway(BROKE_TOKEN)
      .images.generate({ model: IMAGE, prompt: 'x' })
      .catch((e: unknown) => e);
    assert.ok(first instanceof TogetherAPIError && first.status === 402, String(first));
    const sent = emu.stats().byKey;
    const second = await viaGateway(BROKE_TOKEN)
      .rerank.create({ model: RERANK, query: 'q', documents: ['d'] })
      .catch((e: unknown) => e);
    assert.ok(second instanceof TogetherAPIError && second.status === 402, String(second));
    assert.deepEqual(emu.stats().byKey, sent, 'nothing more reached Together with the stopped key');
    // Together's body as Together wrote it: `type: credit_limit`, `code: null`.
    assert.match(JSON.stringify(second.error), /"type":"credit_limit"/);
    assert.match(JSON.stringify(second.error), /"code":null/);
  });

  test('/metrics counts the media attempts by model', async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.match(text, /tether_upstream_attempts_total\{model="black-forest-labs\/FLUX.1-schnell"\} [1-9]/);
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/rerank",status="200",category="none"\} [1-9]/);
  });
});
