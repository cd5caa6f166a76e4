// Issue 18: the chat and completions parameters the emulator honours — structured output, tool calls (JSON and
// streamed), reasoning, truncate, echo, logprobs, n, stop, seed — and the ones it rejects, over HTTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CHAT_MODEL, call, chat, parseSse, start } from './helpers.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { INFERENCE_PARAMETERS } from '../../src/emulator/inference-params.js';
import { countChatTokens } from '../../src/tokens/index.js';

const ajv = new Ajv2020({ strict: false });

const PERSON = {
  $defs: { address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string', pattern: '^\\d{5}$' } }, required: ['city', 'zip'], additionalProperties: false } },
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 2 },
    age: { type: 'integer', minimum: 0, maximum: 130 },
    role: { enum: ['admin', 'user'] },
    kind: { const: 'person' },
    home: { $ref: '#/$defs/address' },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
    nickname: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
  required: ['name', 'age', 'role', 'kind', 'home', 'tags', 'nickname'],
  additionalProperties: false,
};

const TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'], additionalProperties: false } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } } },
];

function schemaFor(name: string): object {
  return (TOOLS.find((t) => t.function.name === name) as (typeof TOOLS)[number]).function.parameters;
}

/** Rebuilds tool calls from stream deltas as the openai SDK does: id/type/name from the first, arguments appended. */
function accumulateToolCalls(events: { choices: { delta: { tool_calls?: { index: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }[] } }[] }[]) {
  const calls: { id?: string; type?: string; name?: string; arguments: string }[] = [];
  for (const event of events) {
    for (const delta of event.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[delta.index] ??= { arguments: '' });
      if (delta.id) call.id = delta.id;
      if (delta.type) call.type = delta.type;
      if (delta.function?.name) call.name = delta.function.name;
      call.arguments += delta.function?.arguments ?? '';
    }
  }
  return calls;
}

let emu: RunningEmulator;
before(async () => {
  emu = await start({ seed: 3 });
});
after(() => emu.close());

describe('response_format', () => {
  test('json_schema (strict, $defs, enum, const, anyOf, pattern, bounds): the answer validates, for many seeds', async () => {
    const validate = ajv.compile(PERSON);
    for (let seed = 0; seed < 8; seed++) {
      const reply = await call(emu, '/v1/chat/completions', {
        body: chat({ seed, max_tokens: 400, response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } } }),
      });
      assert.equal(reply.status, 200, reply.text);
      const value = JSON.parse(reply.json.choices[0].message.content);
      assert.ok(validate(value), `${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`);
      assert.equal(reply.json.choices[0].finish_reason, 'stop');
    }
  });

  test('json_schema streamed: the content pieces join into the same valid JSON', async () => {
    const body = chat({ seed: 4, max_tokens: 400, response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON } } });
    const whole = await call(emu, '/v1/chat/completions', { body });
    const streamed = await call(emu, '/v1/chat/completions', { body: { ...body, stream: true } });
    const sse = parseSse(streamed.text);
    assert.ok(sse.done && sse.events.length > 2);
    assert.equal(sse.events.map((e) => e.choices[0].delta.content).join(''), whole.json.choices[0].message.content);
  });

  test('json_object: the answer parses as a JSON object', async () => {
    const reply = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 400, response_format: { type: 'json_object' } }) });
    const value = JSON.parse(reply.json.choices[0].message.content);
    assert.equal(typeof value, 'object');
    assert.ok(!Array.isArray(value) && value !== null);
  });

  test('json_object with a schema written in the prompt (as the AI SDK and LangChain write it): the answer follows it', async () => {
    const validate = ajv.compile(PERSON);
    const system = `JSON schema:\n${JSON.stringify(PERSON)}\nYou MUST answer with a JSON object that matches the JSON schema above.`;
    for (let seed = 0; seed < 4; seed++) {
      const reply = await call(emu, '/v1/chat/completions', {
        body: chat({ seed, max_tokens: 400, response_format: { type: 'json_object' }, messages: [{ role: 'system', content: system }, { role: 'user', content: 'A person, please. Example: {"name": "x"}' }] }),
      });
      const value = JSON.parse(reply.json.choices[0].message.content);
      assert.ok(validate(value), `${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`);
    }
    // A schema in the prompt that no value satisfies is not the request's fault: plain JSON mode, no 400.
    const impossible = await call(emu, '/v1/chat/completions', {
      body: chat({ max_tokens: 400, response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'Schema: {"type": "object", "properties": {"a": {"type": "integer", "minimum": 2, "maximum": 1}}, "required": ["a"]}' }] }),
    });
    assert.equal(impossible.status, 200, impossible.text);
    assert.equal(typeof JSON.parse(impossible.json.choices[0].message.content).answer, 'string');
  });

  test('a malformed or unsatisfiable json_schema is a 400 that says what is wrong', async () => {
    const noSpec = await call(emu, '/v1/chat/completions', { body: chat({ response_format: { type: 'json_schema' } }) });
    assert.equal(noSpec.status, 400);
    assert.match(noSpec.json.error.message, /response_format\.json_schema/);
    const impossible = await call(emu, '/v1/chat/completions', {
      body: chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'integer', minimum: 3, maximum: 2 } } } }),
    });
    assert.equal(impossible.status, 400);
    assert.match(impossible.json.error.message, /cannot be satisfied.*no number fits/);
  });
});

describe('tools', () => {
  test('required with parallel calls: one call per tool, arguments valid, finish_reason tool_calls', async () => {
    const reply = await call(emu, '/v1/chat/completions', { body: chat({ tools: TOOLS, tool_choice: 'required', max_tokens: 200 }) });
    assert.equal(reply.status, 200, reply.text);
    const choice = reply.json.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const calls = choice.message.tool_calls;
    assert.deepEqual(calls.map((c: { function: { name: string } }) => c.function.name), ['get_weather', 'get_time']);
    for (const [i, c] of calls.entries()) {
      assert.equal(c.index, i);
      assert.equal(c.type, 'function');
      assert.match(c.id, /^call_[a-z0-9]{24}$/);
      assert.ok(ajv.validate(schemaFor(c.function.name), JSON.parse(c.function.arguments)), c.function.arguments);
    }
  });

  test('parallel_tool_calls false: one call; a named function: that one; none: text', async () => {
    const single = await call(emu, '/v1/chat/completions', { body: chat({ tools: TOOLS, tool_choice: 'required', parallel_tool_calls: false, max_tokens: 200 }) });
    assert.equal(single.json.choices[0].message.tool_calls.length, 1);
    const named = await call(emu, '/v1/chat/completions', { body: chat({ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } }, max_tokens: 200 }) });
    assert.deepEqual(named.json.choices[0].message.tool_calls.map((c: { function: { name: string } }) => c.function.name), ['get_time']);
    const none = await call(emu, '/v1/chat/completions', { body: chat({ tools: TOOLS, tool_choice: 'none' }) });
    assert.deepEqual(none.json.choices[0].message.tool_calls, []);
    assert.equal(typeof none.json.choices[0].message.content, 'string');
    assert.notEqual(none.json.choices[0].finish_reason, 'tool_calls');
  });

  test('auto: a call, then text once the last message is the tool result (an agent loop ends)', async () => {
    const first = await call(emu, '/v1/chat/completions', { body: chat({ tools: TOOLS, max_tokens: 200 }) });
    const [toolCall] = first.json.choices[0].message.tool_calls;
    assert.ok(toolCall, first.text);
    const messages = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [toolCall] },
      { role: 'tool', tool_call_id: toolCall.id, content: '{"temp": 21}' },
    ];
    const second = await call(emu, '/v1/chat/completions', { body: chat({ tools: TOOLS, messages }) });
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.json.choices[0].message.tool_calls, []);
    assert.ok(second.json.choices[0].message.content.length > 0);
  });

  test('streamed: index, id and name in the first delta, arguments in pieces; they rebuild the JSON answer', async () => {
    const body = chat({ tools: TOOLS, tool_choice: 'required', max_tokens: 200, seed: 9 });
    const whole = await call(emu, '/v1/chat/completions', { body });
    const streamed = await call(emu, '/v1/chat/completions', { body: { ...body, stream: true } });
    const sse = parseSse(streamed.text);
    assert.ok(sse.done);
    const firsts = sse.events.flatMap((e) => e.choices[0].delta.tool_calls ?? []).filter((d: { id?: string }) => d.id);
    assert.equal(firsts.length, 2);
    for (const first of firsts) assert.equal(first.function.arguments, '');
    const pieces = sse.events.flatMap((e) => e.choices[0].delta.tool_calls ?? []).filter((d: { id?: string }) => !d.id);
    assert.ok(pieces.length > 2, 'arguments come in several pieces');
    for (const piece of pieces) assert.deepEqual(Object.keys(piece).sort(), ['function', 'index']);
    const rebuilt = accumulateToolCalls(sse.events);
    const expected = whole.json.choices[0].message.tool_calls.map((c: { id: string; type: string; function: { name: string; arguments: string } }) => ({
      id: c.id,
      type: c.type,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
    assert.deepEqual(rebuilt, expected);
    const last = sse.events.at(-1);
    assert.equal(last.choices[0].finish_reason, 'tool_calls');
    assert.ok(last.usage.completion_tokens > 0);
  });

  test('bad tools and tool_choice are 400s naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ tools: [{ type: 'retrieval' }] }, /tools\[0\]/],
      [{ tools: [{ type: 'function', function: { name: 'has space' } }] }, /function\.name/],
      [{ tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } }, /"nope", which is not in `tools`/],
      [{ tool_choice: 'required' }, /`tools` is empty/],
      [{ tools: TOOLS, tool_choice: 'sometimes' }, /tool_choice/],
      [{ tools: TOOLS, parallel_tool_calls: 'yes' }, /parallel_tool_calls/],
    ];
    for (const [extra, message] of cases) {
      const reply = await call(emu, '/v1/chat/completions', { body: chat(extra) });
      assert.equal(reply.status, 400, JSON.stringify(extra));
      assert.match(reply.json.error.message, message);
    }
  });
});

describe('reasoning models', () => {
  test('a reasoning model answers with `reasoning` (JSON and delta.reasoning when streamed), counted in usage', async () => {
    const body = chat({ model: 'deepseek-ai/DeepSeek-R1', max_tokens: 400 });
    const reply = await call(emu, '/v1/chat/completions', { body });
    assert.equal(reply.status, 200, reply.text);
    const message = reply.json.choices[0].message;
    assert.ok(message.reasoning.length > 0);
    assert.ok(message.content.length > 0);
    assert.ok(reply.json.usage.completion_tokens_details.reasoning_tokens > 0);
    const sse = parseSse((await call(emu, '/v1/chat/completions', { body: { ...body, stream: true } })).text);
    assert.equal(sse.events.map((e) => e.choices[0].delta.reasoning ?? '').join(''), message.reasoning);
    assert.equal(sse.events.map((e) => e.choices[0].delta.content ?? '').join(''), message.content);
  });

  test('a hybrid model thinks only when asked; a plain model never does', async () => {
    const hybrid = 'deepseek-ai/DeepSeek-V3.1';
    const off = await call(emu, '/v1/chat/completions', { body: chat({ model: hybrid }) });
    assert.equal(off.json.choices[0].message.reasoning, undefined);
    const on = await call(emu, '/v1/chat/completions', { body: chat({ model: hybrid, reasoning: { enabled: true }, max_tokens: 300 }) });
    assert.ok(on.json.choices[0].message.reasoning);
    const plain = await call(emu, '/v1/chat/completions', { body: chat({ reasoning: { enabled: true } }) });
    assert.equal(plain.json.choices[0].message.reasoning, undefined);
  });
});

describe('sampling parameters', () => {
  test('truncate: an over-long max_tokens is lowered, and a prompt that fills the context is cut, not refused', async () => {
    const model = 'meta-llama/Meta-Llama-3-8B-Instruct-Lite';
    const long = 'word '.repeat(9000);
    const body = { model, messages: [{ role: 'user', content: long }], max_tokens: 50 };
    const refused = await call(emu, '/v1/chat/completions', { body });
    assert.equal(refused.status, 400);
    const cut = await call(emu, '/v1/chat/completions', { body: { ...body, context_length_exceeded_behavior: 'truncate' } });
    assert.equal(cut.status, 200, cut.text);
    const sent = (await countChatTokens(model, body.messages as [])).tokens;
    assert.ok(sent > 8192);
    assert.equal(cut.json.usage.prompt_tokens, 8192 - 50);
    assert.ok(cut.json.usage.prompt_tokens + cut.json.usage.completion_tokens <= 8192);
  });

  test('n choices, stop cuts with finish_reason stop, seed repeats the answer', async () => {
    const three = await call(emu, '/v1/chat/completions', { body: chat({ n: 3, max_tokens: 60 }) });
    assert.equal(three.json.choices.length, 3);
    assert.notEqual(three.json.choices[0].message.content, three.json.choices[1].message.content);
    const full = (await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 200, seed: 11 }) })).json.choices[0].message.content as string;
    const stopAt = full.split(' ')[3] as string;
    const stopped = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 200, seed: 11, stop: [stopAt] }) });
    assert.equal(stopped.json.choices[0].finish_reason, 'stop');
    assert.equal(stopped.json.choices[0].message.content, full.slice(0, full.indexOf(stopAt)));
    const again = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 200, seed: 11 }) });
    assert.equal(again.json.choices[0].message.content, full);
    const other = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 200, seed: 12 }) });
    assert.notEqual(other.json.choices[0].message.content, full);
  });

  test('logprobs: LogprobsPart per answer, a logprob and top-k per stream chunk; echo returns the prompt', async () => {
    const reply = await call(emu, '/v1/completions', { body: { model: 'mistralai/Mixtral-8x7B-v0.1', prompt: 'Once upon a time', max_tokens: 10, logprobs: 3, echo: true } });
    assert.equal(reply.status, 200, reply.text);
    const lp = reply.json.choices[0].logprobs;
    assert.equal(lp.tokens.join(''), reply.json.choices[0].text);
    assert.equal(lp.token_logprobs.length, lp.tokens.length);
    assert.ok(lp.token_logprobs.every((v: number) => v <= 0));
    assert.equal(reply.json.prompt[0].text, 'Once upon a time');
    const chatReply = await call(emu, '/v1/chat/completions', { body: chat({ logprobs: true, top_logprobs: 2, stream: true }) });
    const sse = parseSse(chatReply.text);
    for (const event of sse.events) {
      const choice = event.choices[0];
      assert.equal(typeof choice.logprobs, 'number');
      assert.equal(Object.keys(choice.top_logprobs).length, 2);
      assert.equal(choice.top_logprobs[choice.delta.content], choice.logprobs);
    }
    const echoed = await call(emu, '/v1/chat/completions', { body: chat({ echo: true }) });
    assert.match(echoed.json.prompt[0].text, /Tell me about rate limits\./);
    const plain = await call(emu, '/v1/chat/completions', { body: chat() });
    assert.deepEqual(plain.json.prompt, []);
    assert.equal(plain.json.choices[0].logprobs, null);
  });

  test('compliance, safety_model and top_logprobs are checked', async () => {
    for (const [extra, message] of [
      [{ compliance: 'sox' }, /compliance/],
      [{ safety_model: CHAT_MODEL }, /not a moderation model/],
      [{ logprobs: true, top_logprobs: 21 }, /top_logprobs/],
    ] as const) {
      const reply = await call(emu, '/v1/chat/completions', { body: chat(extra) });
      assert.equal(reply.status, 400, JSON.stringify(extra));
      assert.match(reply.json.error.message, message);
    }
    const ok = await call(emu, '/v1/chat/completions', { body: chat({ compliance: 'hipaa', safety_model: 'meta-llama/Meta-Llama-Guard-3-8B' }) });
    assert.equal(ok.status, 200, ok.text);
  });

  test('the parameter table lists every parameter of the OpenAPI chat and completions requests', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const spec = parse(readFileSync(new URL('../fixtures/together-openapi.yaml', import.meta.url), 'utf8'));
    const listed = new Set(INFERENCE_PARAMETERS.map((p) => p.name));
    for (const schema of ['ChatCompletionRequest', 'CompletionRequest']) {
      for (const name of Object.keys(spec.components.schemas[schema].properties)) assert.ok(listed.has(name), `${schema}.${name} is not in the table`);
    }
    const doc = readFileSync(new URL('../../docs/emulator-fidelity.md', import.meta.url), 'utf8');
    for (const row of INFERENCE_PARAMETERS) {
      const line = `| \`${row.name}\` | ${row.endpoints.join(', ')} | ${row.handling} | ${row.what.replace(/\|/g, '\\|')} |`;
      assert.ok(doc.includes(line), `docs/emulator-fidelity.md is out of date for ${row.name}: regenerate its table from INFERENCE_PARAMETERS`);
    }
  });
});
