// Writes the dataset fixtures under test/fixtures/datasets (run: npx tsx test/datasets/make-fixtures.ts):
//   together-docs/  one file per format, made from the examples in Together's docs (data-formats.md of
//                   togethercomputer/skills, docs.together.ai fine-tuning pages): all valid;
//   valid/, invalid/ files that pass and fail, for the validator-vs-emulator walk (test/e2e/dataset-verdicts.test.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetOf, tokenizedRows } from './parquet-helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'datasets');

const jsonl = (...lines: unknown[]): string => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content });
const assistant = (content: unknown): Record<string, unknown> => ({ role: 'assistant', content });
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
    },
  },
];
const CALL = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "New York"}' } };
const JPEG = 'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==';

const conversational = {
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    user('Hello!'),
    assistant('Hi! How can I help?'),
    { ...user('Explain ML'), weight: 0 },
    { ...assistant('Machine learning is...'), weight: 1 },
  ],
};
const reasoning = { messages: [user('What is 15% of 240?'), { role: 'assistant', reasoning: '15% means 15/100 = 0.15\n0.15 * 240 = 36', content: '15% of 240 is 36.' }] };
const preference = {
  input: { messages: [user("What's open-source AI?")] },
  preferred_output: [assistant('Open-source AI means models are free to use, modify, and share...')],
  non_preferred_output: [assistant('It means the code is public.')],
};
const functionCalling = {
  tools: TOOLS,
  messages: [
    user("What's the weather in NYC?"),
    { role: 'assistant', tool_calls: [CALL] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 72, "condition": "sunny"}' },
    assistant("It's currently 72F and sunny in New York City."),
  ],
};
const rows = tokenizedRows([12, 30, 7, 64]);
const tokenized = (extra: Partial<typeof rows> = {}, labels = true): Uint8Array => {
  const r = { ...rows, ...extra };
  return parquetOf([
    { name: 'input_ids', data: r.input_ids },
    { name: 'attention_mask', data: r.attention_mask },
    ...(labels ? [{ name: 'labels', data: r.labels, type: 'INT64' as const }] : []),
  ]);
};

const FILES: Record<string, string | Uint8Array> = {
  // Together's documented examples, one file per format (all valid).
  'together-docs/conversational.jsonl': jsonl(conversational, { messages: [{ role: 'system', content: 'This is a system prompt.' }, user('Hello, how are you?'), assistant("I'm doing well, thank you! How can I help you?"), user('Can you explain machine learning?'), assistant('Machine learning is...')] }),
  'together-docs/conversational-message-weights.jsonl': jsonl({ messages: [{ ...user('Question A'), weight: 0 }, { ...assistant('Answer A'), weight: 1 }] }),
  'together-docs/conversational-sample-weight.jsonl': jsonl({ ...conversational, weight: 2.0 }, { messages: [user('Hello!'), assistant('Hi!')], weight: 0.5 }, { messages: [user('Bye'), assistant('Bye!')], weight: 0 }),
  'together-docs/instruction.jsonl': jsonl({ prompt: 'What is photosynthesis?', completion: 'Photosynthesis is...' }),
  'together-docs/text.jsonl': jsonl({ text: 'The quick brown fox jumps over the lazy dog.' }),
  'together-docs/preference.jsonl': jsonl(preference),
  'together-docs/reasoning.jsonl': jsonl(reasoning, { messages: [user('2+2?'), { role: 'assistant', reasoning_content: 'Two plus two is four.', content: '4' }] }),
  'together-docs/reasoning-preference.jsonl': jsonl({
    input: { messages: [user('What is 15% of 240?')] },
    preferred_output: [{ role: 'assistant', reasoning: '15% means 15/100 = 0.15\n0.15 * 240 = 36', content: '15% of 240 is 36.' }],
    non_preferred_output: [{ role: 'assistant', reasoning: '15% of 240... about 30 maybe?', content: 'About 30.' }],
  }),
  'together-docs/function-calling.jsonl': jsonl(functionCalling),
  'together-docs/function-calling-preference.jsonl': jsonl({
    input: { tools: TOOLS, messages: [user("What's the weather in NYC?")] },
    preferred_output: [{ role: 'assistant', tool_calls: [CALL] }],
    non_preferred_output: [assistant('wrong answer')],
  }),
  'together-docs/vlm-conversational.jsonl': jsonl({
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Vision assistant.' }] },
      user([{ type: 'text', text: 'How many oranges?' }, { type: 'image_url', image_url: { url: JPEG } }]),
      assistant([{ type: 'text', text: 'There are 7 oranges.' }]),
    ],
  }),
  'together-docs/vlm-instruction.jsonl': jsonl({
    prompt: [{ type: 'text', text: 'Describe this image.' }, { type: 'image_url', image_url: { url: JPEG } }],
    completion: [{ type: 'text', text: 'The image shows...' }],
  }),
  'together-docs/tokenized.parquet': tokenized(),
  'together-docs/tokenized-no-labels.parquet': tokenized({}, false),

  // Valid edge cases.
  'valid/crlf.jsonl': jsonl(conversational).replace(/\n/g, '\r\n'),
  'valid/no-final-newline.jsonl': JSON.stringify({ text: 'a' }),
  'valid/empty-content-warning.jsonl': jsonl({ prompt: 'a', completion: '' }),
  'valid/parallel-tool-results.jsonl': jsonl({
    tools: TOOLS,
    messages: [user('NYC and Paris?'), { role: 'assistant', tool_calls: [CALL, { ...CALL, id: 'call_2' }] }, { role: 'tool', tool_call_id: 'call_1', content: 'sunny' }, { role: 'tool', tool_call_id: 'call_2', content: 'rain' }, assistant('Sunny, then rain.')],
  }),

  // Invalid files: one problem each.
  'invalid/sample-weight-negative.jsonl': jsonl({ ...conversational, weight: -1 }),
  'invalid/sample-weight-string.jsonl': jsonl({ text: 'a', weight: '2' }),
  'invalid/message-weight-float.jsonl': '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":1.0}]}\n',
  'invalid/reasoning-on-user.jsonl': jsonl({ messages: [{ ...user('q'), reasoning: 'hm' }, assistant('a')] }),
  'invalid/reasoning-not-string.jsonl': jsonl({ messages: [user('q'), { ...assistant('a'), reasoning_content: ['x'] }] }),
  'invalid/blank-line.jsonl': `${JSON.stringify(conversational)}\n\n${JSON.stringify(conversational)}\n`,
  'invalid/bom.jsonl': `\ufeff${JSON.stringify(conversational)}\n`,
  'invalid/mixed-formats.jsonl': jsonl(conversational, { text: 'a' }),
  'invalid/extra-key.jsonl': jsonl({ text: 'a', id: 7 }),
  'invalid/no-assistant.jsonl': jsonl({ messages: [user('hi')] }),
  'invalid/role-repeat.jsonl': jsonl({ messages: [user('a'), user('b'), assistant('c')] }),
  'invalid/image-http-url.jsonl': jsonl({ messages: [user([{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }]), assistant([{ type: 'text', text: 'a cat' }])] }),
  'invalid/unknown-tool.jsonl': jsonl({ ...functionCalling, messages: [user('q'), { role: 'assistant', tool_calls: [{ ...CALL, function: { name: 'get_time', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'x' }, assistant('y')] }),
  'invalid/preference-two-outputs.jsonl': jsonl({ ...preference, preferred_output: [assistant('a'), assistant('b')] }),
  'invalid/not-utf8.jsonl': Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]),
  'invalid/truncated.jsonl': `${JSON.stringify(conversational)}\n{"messages":[{"role":"user","content":"hi"`,
  'invalid/empty.jsonl': '',
  'invalid/wrong-extension.json': jsonl(conversational),
  'invalid/parquet-missing-mask.parquet': parquetOf([{ name: 'input_ids', data: rows.input_ids }]),
  'invalid/parquet-extra-column.parquet': parquetOf([{ name: 'input_ids', data: rows.input_ids }, { name: 'attention_mask', data: rows.attention_mask }, { name: 'text', data: ['a', 'b', 'c', 'd'], type: 'STRING' }]),
  'invalid/parquet-string-ids.parquet': parquetOf([{ name: 'input_ids', data: [['a'], ['b'], ['c'], ['d']], type: 'LIST_STRING' }, { name: 'attention_mask', data: [[1], [1], [1], [1]] }]),
  'invalid/parquet-mask-2.parquet': tokenized({ attention_mask: rows.attention_mask.map((m, i) => (i === 2 ? m.map(() => 2) : m)) }),
  'invalid/parquet-length-mismatch.parquet': tokenized({ labels: rows.labels.map((l, i) => (i === 1 ? l.slice(1) : l)) }),
  'invalid/parquet-label-negative.parquet': tokenized({ labels: rows.labels.map((l, i) => (i === 3 ? l.map(() => -1) : l)) }),
  'invalid/parquet-empty-row.parquet': tokenized({ input_ids: [[], ...rows.input_ids.slice(1)], attention_mask: [[], ...rows.attention_mask.slice(1)], labels: [[], ...rows.labels.slice(1)] }),
  'invalid/parquet-not-parquet.parquet': 'PAR1 this is not a parquet file PAR1',
};

for (const [name, content] of Object.entries(FILES)) {
  const path = join(ROOT, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
process.stdout.write(`wrote ${Object.keys(FILES).length} files under ${ROOT}\n`);
