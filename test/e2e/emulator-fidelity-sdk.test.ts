// Issue 18: the unmodified `together-ai` and `openai` SDKs against the emulator — images, rerank, audio speech,
// transcriptions and translations; structured output (`openai`'s zodResponseFormat, strict json_schema with a
// nested schema), tools (parsed arguments, a streamed call, the runTools loop) — and the new endpoints' errors
// arriving as each SDK's own error classes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { toFile as openaiToFile } from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import Together, { APIError as TogetherAPIError, RateLimitError, toFile } from 'together-ai';
import { z } from 'zod';
import { startEmulator } from '../../src/emulator/index.js';
import { KEYS, MODELS, testKeys } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const RERANK = 'Salesforce/Llama-Rank-V1';
const TTS = 'cartesia/sonic-2';
const WHISPER = 'openai/whisper-large-v3';

/** One second of 16 kHz 16-bit mono silence as a WAV file. */
function wavClip(seconds = 1): Buffer {
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

let emu: Emulator;
before(async () => {
  emu = await startEmulator({ port: 0, seed: 1, faults: [], keys: (testKeys() ?? []).map((k) => ({ ...k, tier: 2 })) });
});
after(() => emu.close());

describe('together-ai SDK: images, rerank, audio', () => {
  const client = (apiKey: string = KEYS.main) => new Together({ apiKey, baseURL: emu.baseUrl, maxRetries: 0 });

  test('images.generate: base64 PNGs and url JPEGs', async () => {
    const png = await client().images.generate({ model: IMAGE, prompt: 'a red fox', n: 2, width: 128, height: 64, output_format: 'png', response_format: 'base64' });
    assert.equal(png.data.length, 2);
    const first = png.data[0] as { b64_json: string };
    const bytes = Buffer.from(first.b64_json, 'base64');
    assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(bytes.readUInt32BE(16), 128);
    const url = await client().images.generate({ model: IMAGE, prompt: 'a red fox' });
    assert.match((url.data[0] as { url: string }).url, /^data:image\/jpeg;base64,/);
  });

  test('rerank.create: sorted results, top_n, documents', async () => {
    const documents = ['Paris is in France.', 'Bananas are yellow.', 'France has many cities, Paris first.'];
    const reply = await client().rerank.create({ model: RERANK, query: 'cities in France', documents, top_n: 2, return_documents: true });
    assert.equal(reply.results.length, 2);
    assert.notEqual(reply.results[0]?.index, 1);
    assert.ok((reply.results[0]?.relevance_score ?? 0) >= (reply.results[1]?.relevance_score ?? 0));
    assert.equal(reply.results[0]?.document?.text, documents[reply.results[0]?.index ?? 0]);
  });

  test('audio.speech.create: an MP3 response and a stream of base64 chunks', async () => {
    const response = await client().audio.speech.create({ model: TTS, input: 'Hello from the emulator.', voice: 'friendly sidekick', response_format: 'mp3' });
    const mp3 = Buffer.from(await response.arrayBuffer());
    assert.equal(mp3[0], 0xff);
    assert.ok(mp3.length > 400);
    const stream = await client().audio.speech.create({ model: TTS, input: 'Hi', voice: 'v', stream: true });
    let bytes = 0;
    for await (const chunk of stream) bytes += Buffer.from(chunk.b64, 'base64').length;
    assert.ok(bytes > 0);
  });

  test('audio.transcriptions and audio.translations: a WAV upload, verbose_json', async () => {
    const file = await toFile(wavClip(2), 'clip.wav', { type: 'audio/wav' });
    const text = await client().audio.transcriptions.create({ file, model: WHISPER });
    assert.ok((text as { text: string }).text.length > 0);
    const verbose = (await client().audio.transcriptions.create({
      file: await toFile(wavClip(2), 'clip.wav'),
      model: WHISPER,
      response_format: 'verbose_json',
      timestamp_granularities: ['word'],
    })) as { duration: number; words: unknown[]; text: string };
    assert.equal(verbose.duration, 2);
    assert.ok(verbose.words.length > 0);
    const translated = (await client().audio.translations.create({ file: await toFile(wavClip(1), 'clip.wav'), model: WHISPER, response_format: 'verbose_json' })) as unknown as { task: string; language: string };
    assert.equal(translated.task, 'translate');
    assert.equal(translated.language, 'en');
  });

  test('fineTuning.estimatePrice and preview are reached (no 405)', async () => {
    const form = new FormData();
    form.set('purpose', 'fine-tune');
    form.set('file', new Blob(['{"text": "one line of training text"}\n']), 'train.jsonl');
    const uploaded = await fetch(`${emu.baseUrl}/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.main}` }, body: form });
    const upload = (await uploaded.json()) as { id: string };
    const estimate = await client().fineTuning.estimatePrice({ training_file: upload.id, model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' });
    assert.equal(estimate.estimation_available, true);
    const preview = await client().fineTuning.preview({ training_file: upload.id, model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' });
    assert.equal(preview.dataset_format, 'general');
    assert.equal(preview.rows[0]?.num_trained_tokens, preview.rows[0]?.num_tokens);
  });

  test('errors: 402 without credit and 429 in a burst, as the SDK\'s classes', async () => {
    await assert.rejects(client(KEYS.broke).images.generate({ model: IMAGE, prompt: 'x' }), (error: unknown) => error instanceof TogetherAPIError && error.status === 402);
    emu.reset({ limits: true });
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => client(KEYS.burst).rerank.create({ model: RERANK, query: 'q', documents: ['d'] })));
    assert.ok(results.some((r) => r.status === 'rejected' && r.reason instanceof RateLimitError), results.map((r) => r.status).join(','));
  });
});

describe('openai SDK: structured output, tools, images and audio', () => {
  const client = () => new OpenAI({ apiKey: KEYS.main, baseURL: emu.baseUrl, maxRetries: 0 });

  const Order = z.object({
    id: z.string(),
    status: z.enum(['open', 'shipped', 'closed']),
    total: z.number(),
    customer: z.object({ name: z.string(), email: z.string().nullable() }),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  });

  test('chat.completions.parse with zodResponseFormat (strict, nested): parsed and valid for many seeds', async () => {
    for (let seed = 0; seed < 5; seed++) {
      const completion = await client().chat.completions.parse({
        model: MODELS.chat,
        messages: [{ role: 'user', content: 'Make up an order.' }],
        response_format: zodResponseFormat(Order, 'order'),
        max_tokens: 1000,
        seed,
      });
      const parsed = completion.choices[0]?.message.parsed;
      assert.ok(parsed, completion.choices[0]?.message.content ?? 'no content');
      assert.deepEqual(Order.parse(parsed), parsed);
    }
  });

  test('tools: parsed arguments, a streamed call, and a runTools loop that ends in text', async () => {
    const lookup = zodFunction({ name: 'lookup_order', parameters: z.object({ id: z.string(), include_lines: z.boolean() }) });
    const parsed = await client().chat.completions.parse({
      model: MODELS.chat,
      messages: [{ role: 'user', content: 'Find order 7.' }],
      tools: [lookup],
      tool_choice: 'required',
      max_tokens: 300,
    });
    const call = parsed.choices[0]?.message.tool_calls?.[0];
    assert.equal(parsed.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(call && call.type === 'function');
    assert.equal(typeof (call.function.parsed_arguments as { include_lines: unknown }).include_lines, 'boolean');

    const stream = client().chat.completions.stream({
      model: MODELS.chat,
      messages: [{ role: 'user', content: 'Find order 7.' }],
      tools: [{ type: 'function', function: { name: 'lookup_order', parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } }],
      tool_choice: 'required',
      max_tokens: 300,
    });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    assert.ok(streamed && streamed.type === 'function');
    assert.equal(streamed.function.name, 'lookup_order');
    assert.equal(typeof (JSON.parse(streamed.function.arguments) as { id: unknown }).id, 'string');
    assert.match(streamed.id, /^call_/);

    let called = 0;
    const runner = client().chat.completions.runTools({
      model: MODELS.chat,
      messages: [{ role: 'user', content: 'What is the status of order 7?' }],
      max_tokens: 200,
      tools: [
        {
          type: 'function',
          function: {
            name: 'order_status',
            description: 'The status of an order',
            parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            parse: JSON.parse,
            function: (args: { id: string }) => {
              called++;
              return { id: args.id, status: 'shipped' };
            },
          },
        },
      ],
    });
    const content = await runner.finalContent();
    assert.equal(called, 1, 'the tool ran once, then the model answered');
    assert.ok(content && content.length > 0);
  });

  test('images.generate with b64_json, audio.speech and audio.transcriptions', async () => {
    const image = await client().images.generate({ model: IMAGE, prompt: 'a fox', response_format: 'b64_json' });
    assert.ok(Buffer.from(image.data?.[0]?.b64_json ?? '', 'base64').length > 0);
    const speech = await client().audio.speech.create({ model: TTS, input: 'Hello there.', voice: 'alloy', response_format: 'wav' });
    const wav = Buffer.from(await speech.arrayBuffer());
    assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
    const transcript = await client().audio.transcriptions.create({ model: WHISPER, file: await openaiToFile(wavClip(1), 'clip.wav') });
    assert.ok(transcript.text.length > 0);
  });
});
