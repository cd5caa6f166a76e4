// Property test (issue 18): for random tool parameter schemas, tool_choice and seeds, every tool call's arguments
// validate against its function's parameters, and the streamed deltas — accumulated as the openai SDK does —
// rebuild exactly the JSON answer's tool calls. In-process: generateChat → chatResponse / chatChunks. Inputs that
// ever failed stay in test/fixtures/fuzz/tool-calls-corpus.json and are replayed one by one.
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { EmulatorCatalog } from '../../src/emulator/catalog.js';
import type { EmulatorModel } from '../../src/emulator/catalog.js';
import { generateChat } from '../../src/emulator/chat-generation.js';
import { chatChunks, chatResponse, usageBody } from '../../src/emulator/responses.js';
import { chatRequestSchema } from '../../src/emulator/validate.js';

const SEED = 20261207;
const ajv = new Ajv2020({ strict: false });
const found = new EmulatorCatalog().lookup('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
const model = (found.kind === 'serverless' ? found.model : undefined) as EmulatorModel;

const property = fc.oneof(
  fc.constant({ type: 'string' }),
  fc.constant({ type: 'integer', minimum: 0, maximum: 9 }),
  fc.constant({ type: 'number' }),
  fc.constant({ type: 'boolean' }),
  fc.constant({ enum: ['a', 'b', 'c'] }),
  fc.constant({ type: 'array', items: { type: 'string', format: 'date' }, maxItems: 3 }),
  fc.constant({ type: 'object', properties: { x: { type: ['string', 'null'] } }, required: ['x'], additionalProperties: false }),
  fc.constant({ anyOf: [{ type: 'string' }, { type: 'null' }] }),
);

const parameters = fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), property, { minKeys: 0, maxKeys: 5 }).chain((properties) =>
  fc.record({ type: fc.constant('object'), properties: fc.constant(properties), required: fc.subarray(Object.keys(properties)), additionalProperties: fc.constant(false) }),
);

const tools = fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/), parameters }), { minLength: 1, maxLength: 4, selector: (t) => t.name });

type Delta = { index: number; id?: string; type?: string; function?: { name?: string; arguments?: string } };

type ToolDef = { name: string; parameters: { properties: Record<string, unknown> } & Record<string, unknown> };

async function check(defs: ToolDef[], choice: string, parallel: boolean, seed: number): Promise<void> {
  const body = chatRequestSchema.parse({
    model: model.id,
    messages: [{ role: 'user', content: 'Use the tools.' }],
    tools: defs.map((d) => ({ type: 'function', function: { name: d.name, parameters: d.parameters } })),
    tool_choice: choice === 'named' ? { type: 'function', function: { name: defs[defs.length - 1]?.name } } : choice,
    parallel_tool_calls: parallel,
    seed,
  });
  const generated = await generateChat(7, model, body);
  assert.ok(generated.ok, 'generation succeeds');
  const usage = usageBody(generated.promptTokens, generated.choices);
  const env = { id: 'x', created: 0, model: model.id };
  const json = chatResponse(env, generated.choices, usage) as { choices: { finish_reason: string; message: { tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[] } }[] };
  const calls = json.choices[0]?.message.tool_calls ?? [];
  assert.ok(calls.length >= 1, 'auto, required and named all call on a user turn');
  if (!parallel || choice === 'named' || choice === 'auto') assert.equal(calls.length, 1);
  else assert.equal(calls.length, defs.length);
  assert.equal(json.choices[0]?.finish_reason, 'tool_calls');
  for (const call of calls) {
    const def = defs.find((d) => d.name === call.function.name);
    assert.ok(def, call.function.name);
    assert.ok(ajv.validate(def.parameters, JSON.parse(call.function.arguments)), `${call.function.arguments}: ${ajv.errorsText()}`);
  }
  const rebuilt: { id?: string; type?: string; name?: string; arguments: string }[] = [];
  for (const chunk of chatChunks(env, generated.choices, usage) as { choices: { delta: { tool_calls?: Delta[] } }[] }[]) {
    for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
      const call = (rebuilt[delta.index] ??= { arguments: '' });
      if (delta.id) call.id = delta.id;
      if (delta.type) call.type = delta.type;
      if (delta.function?.name) call.name = delta.function.name;
      call.arguments += delta.function?.arguments ?? '';
    }
  }
  assert.deepEqual(rebuilt, calls.map((c) => ({ id: c.id, type: c.type, name: c.function.name, arguments: c.function.arguments })));
}

const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/tool-calls-corpus.json', import.meta.url), 'utf8')) as { note: string; tools: ToolDef[]; choice: string; parallel: boolean; seed: number }[];

describe('tool-calls corpus', () => {
  for (const entry of corpus) test(entry.note, () => check(entry.tools, entry.choice, entry.parallel, entry.seed));
});

test('tool-call arguments validate, and streamed deltas rebuild the JSON answer', async () => {
  await fc.assert(
    fc.asyncProperty(tools, fc.constantFrom('auto', 'required', 'named'), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), (defs, choice, parallel, seed) => check(defs, choice, parallel, seed)),
    { seed: SEED, numRuns: 100, interruptAfterTimeLimit: 6_000 },
  );
});
