// Issue 18: the emulator's new answers checked against Together's OpenAPI description — structured output, tool
// calls (JSON and streamed), reasoning, logprobs and echo on chat/completions; images, rerank, audio speech,
// transcriptions, translations and the fine-tune price estimate — success and error bodies alike.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import { validateResponse, validateSchema } from './helpers/openapi.js';
import type { ResponseCheck } from './helpers/openapi.js';
import { KEYS, MODELS, chatBody, rawCall, testKeys } from './helpers/emulator.js';
import type { Emulator, RawResponse } from './helpers/emulator.js';
import { parseSseBody } from './helpers/sse.js';

const IMAGE = 'black-forest-labs/FLUX.1-schnell';
const RERANK = 'Salesforce/Llama-Rank-V1';
const TTS = 'cartesia/sonic-2';
const WHISPER = 'openai/whisper-large-v3';
/** A tier-1 key: cartesia/sonic-2 needs tier 2, so this key meets the tier gate. */
const TIER1 = 'tk-e2e-tier1';

const TOOLS = [
  { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' }, n: { type: 'integer', minimum: 1 } }, required: ['q', 'n'] } } },
  { type: 'function', function: { name: 'clock', parameters: { type: 'object', properties: {} } } },
];

function assertValid(check: ResponseCheck, what: string): void {
  assert.ok(check.valid, `${what} does not match ${check.schemaRef ?? 'the spec'}:\n  ${check.errors.join('\n  ')}`);
}

/** JSON error bodies: the declared schema for the status, or ErrorData where the spec declares none. */
function assertErrorMatchesSpec(method: string, path: string, response: RawResponse): void {
  assert.equal(response.mediaType, 'application/json', `${method} ${path} ${response.status}: content-type`);
  const declared = validateResponse(method, path, response.status, response.mediaType, response.json);
  const check = declared.schemaRef === null ? validateSchema('ErrorData', response.json) : declared;
  assertValid(check, `${method} ${path} ${response.status} body ${response.text}`);
  assert.equal(typeof (response.json as { id?: unknown }).id, 'string', 'Together puts the request id at the top level');
}

function assertStreamMatchesSpec(path: string, response: RawResponse, fill: (chunk: unknown) => unknown = (c) => c): unknown[] {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.mediaType, 'text/event-stream');
  const events = parseSseBody(response.text);
  assert.equal(events.at(-1)?.data, '[DONE]');
  events.forEach((event, i) => assertValid(validateResponse('POST', path, 200, response.mediaType, { data: fill(event.data) }), `${path} chunk #${i}`));
  return events.slice(0, -1).map((e) => e.data);
}

async function multipart(emu: Emulator, path: string, form: FormData, key: string = KEYS.main): Promise<RawResponse> {
  const response = await fetch(`${emu.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, mediaType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '', text, json };
}

function audioForm(fields: Record<string, string>): FormData {
  const form = new FormData();
  const wav = Buffer.alloc(44 + 32000);
  wav.write('RIFF', 0, 'latin1');
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(32000, 28);
  form.append('file', new Blob([new Uint8Array(wav)], { type: 'audio/wav' }), 'clip.wav');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

let emu: Emulator;
before(async () => {
  const keys = (testKeys() ?? []).map((k) => ({ ...k, tier: 2 }));
  emu = await startEmulator({ port: 0, seed: 1, faults: [], keys: [...keys, { key: TIER1, requestsPerSecond: 1000, tokensPerMinute: 1_000_000, creditsUsd: 100, tier: 1 }] });
});
after(() => emu.close());

describe('chat and completions parameters match the OpenAPI contract', () => {
  test('json_schema, tool calls, reasoning, logprobs and echo (JSON)', async () => {
    const bodies = [
      chatBody(MODELS.chat, { max_tokens: 300, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'array', items: { type: 'number' } } }, required: ['a'] } } } }),
      chatBody(MODELS.chat, { max_tokens: 300, tools: TOOLS, tool_choice: 'required' }),
      chatBody('deepseek-ai/DeepSeek-R1', { max_tokens: 300, logprobs: 1, echo: true }),
    ];
    for (const body of bodies) {
      const response = await rawCall(emu, 'POST', '/chat/completions', { body });
      assert.equal(response.status, 200, response.text);
      assertValid(validateResponse('POST', '/chat/completions', 200, response.mediaType, response.json), JSON.stringify(body).slice(0, 80));
    }
    const completion = await rawCall(emu, 'POST', '/completions', { body: { model: MODELS.language, prompt: 'Hi', max_tokens: 6, logprobs: 2, echo: true, n: 2 } });
    assertValid(validateResponse('POST', '/completions', 200, completion.mediaType, completion.json), 'completion with logprobs and echo');
    const stream = await rawCall(emu, 'POST', '/completions', { body: { model: MODELS.language, prompt: 'Hi', max_tokens: 6, logprobs: 2, stream: true } });
    assertStreamMatchesSpec('/completions', stream);
  });

  test('streamed reasoning and logprobs chunks', async () => {
    const reasoning = await rawCall(emu, 'POST', '/chat/completions', { body: chatBody('deepseek-ai/DeepSeek-R1', { max_tokens: 200, stream: true }) });
    const chunks = assertStreamMatchesSpec('/chat/completions', reasoning) as { choices: { delta: { reasoning?: string } }[] }[];
    assert.ok(chunks.some((c) => c.choices[0]?.delta.reasoning));
    const logprobs = await rawCall(emu, 'POST', '/chat/completions', { body: chatBody(MODELS.chat, { stream: true, logprobs: 3 }) });
    assertStreamMatchesSpec('/chat/completions', logprobs);
  });

  test('streamed tool calls: the first delta of each call is a full ToolChoice; the rest carry only index and arguments', async () => {
    const response = await rawCall(emu, 'POST', '/chat/completions', { body: chatBody(MODELS.chat, { max_tokens: 300, tools: TOOLS, tool_choice: 'required', stream: true }) });
    // The one deviation allowed: ToolChoice requires id, type and function.name on every delta, but Together and
    // OpenAI send them in a call's first delta only (clients concatenate what follows). Continuation deltas are
    // checked with those fields filled in from the first, and must hold nothing else.
    const first = new Map<number, { id: string; type: string; name: string }>();
    const fill = (chunk: unknown): unknown => {
      const c = structuredClone(chunk) as { choices?: { delta?: { tool_calls?: Record<string, any>[] } }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const call of c.choices?.[0]?.delta?.tool_calls ?? []) {
        if (call.id) first.set(call.index, { id: call.id, type: call.type, name: call.function.name });
        else {
          assert.deepEqual(Object.keys(call).sort(), ['function', 'index']);
          assert.deepEqual(Object.keys(call.function), ['arguments']);
          const known = first.get(call.index);
          assert.ok(known, 'a continuation delta follows its first delta');
          Object.assign(call, { id: known.id, type: known.type, function: { name: known.name, arguments: call.function.arguments } });
        }
      }
      return c;
    };
    const chunks = assertStreamMatchesSpec('/chat/completions', response, fill) as { choices: { finish_reason: string | null }[] }[];
    assert.equal(first.size, 2);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls');
  });
});

describe('new endpoints: success bodies match the OpenAPI contract', () => {
  test('POST /images/generations (base64 and url)', async () => {
    for (const response_format of ['base64', 'url']) {
      const response = await rawCall(emu, 'POST', '/images/generations', { body: { model: IMAGE, prompt: 'a fox', n: 2, width: 64, height: 64, response_format } });
      assert.equal(response.status, 200, response.text);
      assertValid(validateResponse('POST', '/images/generations', 200, response.mediaType, response.json), `images ${response_format}`);
    }
  });

  test('POST /rerank (with and without documents)', async () => {
    for (const return_documents of [true, false]) {
      const response = await rawCall(emu, 'POST', '/rerank', { body: { model: RERANK, query: 'fox', documents: ['a fox', 'a dog'], return_documents } });
      assert.equal(response.status, 200, response.text);
      assertValid(validateResponse('POST', '/rerank', 200, response.mediaType, response.json), `rerank ${return_documents}`);
    }
  });

  test('POST /audio/speech (wav, mp3, raw and the SSE stream)', async () => {
    for (const response_format of ['wav', 'mp3', 'raw']) {
      const response = await rawCall(emu, 'POST', '/audio/speech', { body: { model: TTS, input: 'Hello', voice: 'v', response_format } });
      assert.equal(response.status, 200, response.text);
      assertValid(validateResponse('POST', '/audio/speech', 200, response.mediaType, response.text), `speech ${response_format} (${response.mediaType})`);
    }
    const stream = await rawCall(emu, 'POST', '/audio/speech', { body: { model: TTS, input: 'Hello', voice: 'v', stream: true } });
    assertStreamMatchesSpec('/audio/speech', stream);
  });

  test('POST /audio/transcriptions and /audio/translations (json and verbose_json)', async () => {
    for (const path of ['/audio/transcriptions', '/audio/translations']) {
      for (const response_format of ['json', 'verbose_json']) {
        const response = await multipart(emu, path, audioForm({ model: WHISPER, response_format, 'timestamp_granularities[]': 'word' }));
        assert.equal(response.status, 200, response.text);
        const declared = validateResponse('POST', path, 200, response.mediaType, response.json);
        if (response_format === 'json') assertValid(declared, `${path} json`);
        else {
          // The spec's oneOf [Json, VerboseJson] can never hold for a verbose answer: it has `text`, so it matches
          // both branches. The verbose answer is held to its own schema, and oneOf is the only complaint.
          assert.deepEqual(declared.errors, ['/: must match exactly one schema in oneOf']);
          const name = path === '/audio/translations' ? 'AudioTranslationVerboseJsonResponse' : 'AudioTranscriptionVerboseJsonResponse';
          assertValid(validateSchema(name, response.json), `${path} verbose_json`);
        }
      }
    }
  });

  test('POST /fine-tunes/estimate-price', async () => {
    const form = new FormData();
    form.set('purpose', 'fine-tune');
    form.set('file', new Blob(['{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}\n']), 'train.jsonl');
    const file = (await multipart(emu, '/files/upload', form)).json as { id: string };
    const response = await rawCall(emu, 'POST', '/fine-tunes/estimate-price', { body: { training_file: file.id, model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference' } });
    assert.equal(response.status, 200, response.text);
    assertValid(validateResponse('POST', '/fine-tunes/estimate-price', 200, response.mediaType, response.json), 'estimate-price');
  });
});

describe('new endpoints: error bodies match the OpenAPI contract and Together\'s envelope', () => {
  const jsonCases: [string, Record<string, unknown>, string][] = [
    ['/images/generations', { model: IMAGE, prompt: 'x', width: 64, height: 64 }, IMAGE],
    ['/rerank', { model: RERANK, query: 'q', documents: ['d'] }, RERANK],
    ['/audio/speech', { model: TTS, input: 'x', voice: 'v' }, TTS],
  ];

  for (const [path, body, model] of jsonCases) {
    test(`${path}: 400, 401, 404, 402, 429, 503`, async () => {
      const cases: [number, () => Promise<RawResponse>][] = [
        [400, () => rawCall(emu, 'POST', path, { body: { model } })],
        [401, () => rawCall(emu, 'POST', path, { key: KEYS.unknown, body })],
        [404, () => rawCall(emu, 'POST', path, { body: { ...body, model: MODELS.unknown } })],
        [402, () => rawCall(emu, 'POST', path, { key: KEYS.broke, body })],
      ];
      for (const [status, send] of cases) {
        const response = await send();
        assert.equal(response.status, status, `${path}: ${response.text}`);
        assertErrorMatchesSpec('POST', path, response);
      }
      emu.setFaults([{ kind: 'status', status: 503, model }]);
      try {
        const overloaded = await rawCall(emu, 'POST', path, { body });
        assert.equal(overloaded.status, 503);
        assertErrorMatchesSpec('POST', path, overloaded);
      } finally {
        emu.setFaults([]);
      }
      emu.reset({ limits: true });
      const burst = await Promise.all(Array.from({ length: 3 }, () => rawCall(emu, 'POST', path, { key: KEYS.burst, body })));
      const limited = burst.find((r) => r.status === 429);
      assert.ok(limited, burst.map((r) => r.status).join(','));
      assertErrorMatchesSpec('POST', path, limited);
    });
  }

  test('/audio/speech: the tier gate is a 403 in the envelope', async () => {
    const response = await rawCall(emu, 'POST', '/audio/speech', { key: TIER1, body: { model: TTS, input: 'x', voice: 'v' } });
    assert.equal(response.status, 403);
    assertErrorMatchesSpec('POST', '/audio/speech', response);
  });

  test('/audio/transcriptions and /translations: 400, 401, 413, 429', async () => {
    for (const path of ['/audio/transcriptions', '/audio/translations']) {
      const bad = await multipart(emu, path, audioForm({ response_format: 'srt' }));
      assert.equal(bad.status, 400);
      assertErrorMatchesSpec('POST', path, bad);
      const unauthorized = await multipart(emu, path, audioForm({}), KEYS.unknown);
      assert.equal(unauthorized.status, 401);
      assertErrorMatchesSpec('POST', path, unauthorized);
      emu.reset({ limits: true });
      const burst = await Promise.all(Array.from({ length: 3 }, () => multipart(emu, path, audioForm({}), KEYS.burst)));
      const limited = burst.find((r) => r.status === 429);
      assert.ok(limited, burst.map((r) => r.status).join(','));
      assertErrorMatchesSpec('POST', path, limited);
    }
  });
});
