// Every rule: a minimal line that breaks it and a passing counterpart, checked through both the fast path
// and the reference checks (helpers.checkContent asserts they agree).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RULE_IDS, RULES } from '../../src/datasets/rules.js';
import type { RuleId } from '../../src/datasets/rules.js';
import type { RuleOptions } from '../../src/datasets/types.js';
import { MAX_IMAGE_URL_LENGTH } from '../../src/datasets/content.js';
import { assistant, checkContent, conversation, rulesOf, user } from './helpers.js';

interface Case {
  rule: RuleId;
  bad: string | Uint8Array;
  good: string | Uint8Array;
  options?: Partial<RuleOptions>;
  /** The message must mention this. */
  says?: RegExp;
}

const OK = conversation(user('hi'), assistant('hello'));
const png = (n = 1): Record<string, unknown> => ({ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(n)}` } });
const text = (t: string): Record<string, unknown> => ({ type: 'text', text: t });
const call = (name: string, args: unknown = '{"city": "Paris"}'): Record<string, unknown> => ({
  id: 'c1',
  type: 'function',
  function: { name, arguments: args },
});
const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
const toolConversation = (calls: unknown[], tools: unknown = TOOLS): string =>
  JSON.stringify({
    messages: [user('weather?'), { role: 'assistant', content: null, tool_calls: calls }, { role: 'tool', tool_call_id: 'c1', content: 'sunny' }, assistant('It is sunny.')],
    tools,
  });
const preference = (input: unknown, preferred: unknown = [assistant('a')], other: unknown = [assistant('b')]): string =>
  JSON.stringify({ input, preferred_output: preferred, non_preferred_output: other });

const CASES: Case[] = [
  { rule: 'line.utf8', bad: Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]), good: '{"text":"café"}\n', says: /byte 13/ },
  { rule: 'line.bom', bad: `\ufeff${OK}\n`, good: `${OK}\n` },
  { rule: 'line.blank', bad: `${OK}\n\n${OK}\n`, good: `${OK}\n${OK}\n` },
  { rule: 'line.blank', bad: `${OK}\n \t\n`, good: `${OK}\n` },
  { rule: 'line.lone-cr', bad: `${OK}\r${OK}\n`, good: `${OK}\r\n${OK}\r\n` },
  { rule: 'json.syntax', bad: '{"text": "a",}\n', good: '{"text": "a"}\n', says: /trailing comma/ },
  { rule: 'json.syntax', bad: '{"text": NaN}\n', good: '{"text": "NaN"}\n', says: /NaN/ },
  { rule: 'json.syntax', bad: `${OK}${OK}\n`, good: `${OK}\n${OK}\n`, says: /own line/ },
  { rule: 'json.syntax', bad: "{'text': 'a'}\n", good: '{"text": "a"}\n', says: /double quotes/ },
  { rule: 'json.control-char', bad: '{"text":"a\tb"}\n', good: '{"text":"a\\tb"}\n', says: /TAB.*\\t/ },
  { rule: 'json.control-char', bad: '{"text":"a\u0001b"}\n', good: '{"text":"a\\u0001b"}\n', says: /U\+0001/ },
  { rule: 'json.truncated', bad: `${OK}\n{"messages":[{"role":"user","content":"hi"`, good: `${OK}\n${OK}` },
  { rule: 'line.not-object', bad: '["hi"]\n', good: '{"text":"hi"}\n', says: /JSON array/ },
  { rule: 'format.unknown', bad: '{"prompt":"a"}\n', good: '{"prompt":"a","completion":"b"}\n', says: /both "prompt" and "completion"/ },
  { rule: 'format.unknown', bad: '{}\n', good: '{"text":"a"}\n' },
  { rule: 'format.mixed', bad: `${OK}\n{"text":"a"}\n`, good: `${OK}\n${OK}\n`, says: /line 1/ },
  { rule: 'keys.extra', bad: '{"text":"a","id":1}\n', good: '{"text":"a"}\n', says: /"id"/ },
  { rule: 'keys.extra', bad: JSON.stringify({ messages: [user('a'), assistant('b')], text: 'x' }), good: OK },
  { rule: 'messages.type', bad: '{"messages":"hi"}\n', good: `${OK}\n` },
  { rule: 'messages.empty', bad: '{"messages":[]}\n', good: `${OK}\n` },
  { rule: 'messages.no-assistant', bad: conversation(user('hi')), good: OK },
  { rule: 'messages.mixed-content', bad: conversation(user('hi'), assistant([text('hello')])), good: conversation(user([text('hi')]), assistant([text('hello')])) },
  { rule: 'message.type', bad: conversation('hi', assistant('hello')), good: OK },
  { rule: 'message.role-missing', bad: conversation({ content: 'hi' }, assistant('hello')), good: OK },
  { rule: 'message.role-invalid', bad: conversation({ role: 'human', content: 'hi' }, assistant('hello')), good: OK, says: /use "user"/ },
  { rule: 'message.role-invalid', bad: conversation({ role: 'User', content: 'hi' }, assistant('hello')), good: OK, says: /lower-case/ },
  { rule: 'message.role-invalid', bad: conversation({ role: 7, content: 'hi' }, assistant('hello')), good: OK },
  { rule: 'message.role-repeat', bad: conversation(user('a'), user('b'), assistant('c')), good: conversation(user('a'), assistant('b'), user('c'), assistant('d')) },
  { rule: 'message.role-repeat', bad: conversation({ role: 'system', content: 'a' }, { role: 'system', content: 'b' }, user('q'), assistant('c')), good: conversation({ role: 'system', content: 'a' }, user('q'), assistant('c')) },
  { rule: 'message.content-missing', bad: conversation({ role: 'user' }, assistant('hello')), good: OK },
  { rule: 'message.content-type', bad: conversation(user(null), assistant('hello')), good: OK },
  { rule: 'message.content-type', bad: conversation(user(5), assistant('hello')), good: OK },
  { rule: 'message.weight', bad: conversation(user('a'), { ...assistant('b'), weight: 2 }), good: conversation(user('a'), { ...assistant('b'), weight: 1 }) },
  { rule: 'message.weight', bad: conversation(user('a'), { ...assistant('b'), weight: true }), good: conversation(user('a'), { ...assistant('b'), weight: 0 }), says: /write 1/ },
  { rule: 'message.weight', bad: '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":1.0}]}', good: '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":1}]}', says: /written 1\.0/ },
  { rule: 'message.weight', bad: '{"messages":[{"role":"user","content":"a","weight":0e0},{"role":"assistant","content":"b"}]}', good: '{"messages":[{"role":"user","content":"a","weight":-0},{"role":"assistant","content":"b"}]}' },
  { rule: 'message.image-weight', bad: conversation({ role: 'user', content: [png()], weight: 1 }, assistant([text('a cat')])), good: conversation({ role: 'user', content: [png()], weight: 0 }, assistant([text('a cat')])) },
  { rule: 'content.empty', bad: conversation(user('hi'), assistant('')), good: OK },
  { rule: 'content.empty', bad: '{"prompt":"","completion":"b"}', good: '{"prompt":"a","completion":"b"}' },
  { rule: 'content.part', bad: conversation(user([{ type: 'audio' }]), assistant([text('b')])), good: conversation(user([text('a')]), assistant([text('b')])) },
  { rule: 'content.part', bad: conversation(user([{ text: 'a' }]), assistant([text('b')])), good: conversation(user([text('a')]), assistant([text('b')])) },
  { rule: 'content.part', bad: conversation(user([{ type: 'text', text: 5 }]), assistant([text('b')])), good: conversation(user([text('a')]), assistant([text('b')])) },
  { rule: 'content.part', bad: conversation(user(['a']), assistant([text('b')])), good: conversation(user([text('a')]), assistant([text('b')])) },
  { rule: 'content.image-role', bad: conversation(user([text('a')]), assistant([png()])), good: conversation(user([png()]), assistant([text('b')])) },
  { rule: 'content.image-url', bad: conversation(user([{ type: 'image_url', image_url: { url: 'https://x/cat.png' } }]), assistant([text('b')])), good: conversation(user([png()]), assistant([text('b')])), says: /data:image\/jpeg/ },
  { rule: 'content.image-url', bad: conversation(user([{ type: 'image_url', image_url: { url: 'data:image/jpg;base64,AA' } }]), assistant([text('b')])), good: conversation(user([{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AA' } }]), assistant([text('b')])) },
  { rule: 'content.image-url', bad: conversation(user([{ type: 'image_url', image_url: 'data:image/png;base64,AA' }]), assistant([text('b')])), good: conversation(user([png()]), assistant([text('b')])) },
  { rule: 'content.image-url', bad: conversation(user([{ type: 'image_url', image_url: { url: '' } }]), assistant([text('b')])), good: conversation(user([png()]), assistant([text('b')])) },
  {
    rule: 'content.image-size',
    bad: conversation(user([png(MAX_IMAGE_URL_LENGTH - 21)]), assistant([text('b')])),
    good: conversation(user([png(MAX_IMAGE_URL_LENGTH - 22)]), assistant([text('b')])),
  },
  { rule: 'content.image-count', bad: conversation(user(Array.from({ length: 11 }, () => png())), assistant([text('b')])), good: conversation(user(Array.from({ length: 10 }, () => png())), assistant([text('b')])) },
  {
    rule: 'content.image-count',
    bad: conversation(user(Array.from({ length: 6 }, () => png())), assistant([text('b')]), user(Array.from({ length: 5 }, () => png())), assistant([text('c')])),
    good: conversation(user(Array.from({ length: 5 }, () => png())), assistant([text('b')]), user(Array.from({ length: 5 }, () => png())), assistant([text('c')])),
  },
  { rule: 'tools.invalid', bad: toolConversation([call('get_weather')], []), good: toolConversation([call('get_weather')]) },
  { rule: 'tools.invalid', bad: toolConversation([call('get_weather')], [{ type: 'function', function: {} }]), good: toolConversation([call('get_weather')]) },
  { rule: 'tool-call.invalid', bad: toolConversation([call('get_weather', { city: 'Paris' })]), good: toolConversation([call('get_weather')]), says: /JSON\.stringify/ },
  { rule: 'tool-call.invalid', bad: toolConversation([call('get_weather', '[1]')]), good: toolConversation([call('get_weather', '{}')]) },
  { rule: 'tool-call.invalid', bad: toolConversation(['get_weather']), good: toolConversation([call('get_weather')]) },
  { rule: 'tool-call.invalid', bad: conversation({ ...user('a'), tool_calls: [call('get_weather')] }, assistant('b')), good: OK },
  { rule: 'tool-call.unknown-function', bad: toolConversation([call('get_time')]), good: toolConversation([call('get_weather')]), says: /get_time/ },
  { rule: 'preference.input', bad: preference('hi'), good: preference({ messages: [user('q')] }) },
  { rule: 'preference.input', bad: preference({ prompt: 'q' }), good: preference({ messages: [user('q')] }) },
  { rule: 'preference.last-turn', bad: preference({ messages: [user('q'), assistant('a')] }), good: preference({ messages: [user('q'), assistant('a'), user('q2')] }) },
  { rule: 'preference.output', bad: preference({ messages: [user('q')] }, [assistant('a'), assistant('b')]), good: preference({ messages: [user('q')] }) },
  { rule: 'preference.output', bad: preference({ messages: [user('q')] }, [user('a')]), good: preference({ messages: [user('q')] }) },
  { rule: 'preference.output', bad: preference({ messages: [user('q')] }, [assistant(null)]), good: preference({ messages: [user('q')] }) },
  { rule: 'preference.output', bad: preference({ messages: [user('q')] }, assistant('a')), good: preference({ messages: [user('q')] }) },
  // Together's current formats (together-api-facts.md §11): the per-example weight, reasoning, tools in preference input.
  { rule: 'sample.weight', bad: JSON.stringify({ messages: [user('a'), assistant('b')], weight: -1 }), good: JSON.stringify({ messages: [user('a'), assistant('b')], weight: 2.5 }), says: /number ≥ 0/ },
  { rule: 'sample.weight', bad: JSON.stringify({ messages: [user('a'), assistant('b')], weight: '2' }), good: JSON.stringify({ messages: [user('a'), assistant('b')], weight: 0 }), says: /JSON number \(2\)/ },
  { rule: 'sample.weight', bad: JSON.stringify({ prompt: 'a', completion: 'b', weight: true }), good: JSON.stringify({ prompt: 'a', completion: 'b', weight: 0.25 }) },
  { rule: 'sample.weight', bad: '{"text": "a", "weight": 1e999}', good: '{"text": "a", "weight": 1e3}' },
  { rule: 'sample.weight', bad: JSON.stringify({ ...JSON.parse(preference({ messages: [user('q')] })), weight: [1] }), good: JSON.stringify({ ...JSON.parse(preference({ messages: [user('q')] })), weight: 1 }) },
  { rule: 'keys.extra', bad: JSON.stringify({ text: 'a', weight: 1 }), good: '{"text": "a"}', options: { profile: 'legacy' }, says: /per-example weight/ },
  { rule: 'message.reasoning', bad: conversation(user('q'), { ...assistant('36'), reasoning: 36 }), good: conversation(user('q'), { ...assistant('36'), reasoning: '0.15 * 240 = 36' }) },
  { rule: 'message.reasoning', bad: conversation({ ...user('q'), reasoning_content: 'hm' }, assistant('36')), good: conversation(user('q'), { ...assistant('36'), reasoning_content: 'hm' }), says: /only assistant/ },
  { rule: 'message.reasoning', bad: conversation(user('q'), { ...assistant('36'), reasoning: 'a', reasoning_content: 'b' }), good: conversation(user('q'), { ...assistant('36'), reasoning: 'a', reasoning_content: null }) },
  { rule: 'message.reasoning', bad: preference({ messages: [user('q')] }, [{ ...assistant('a'), reasoning: ['x'] }], [{ ...assistant('b'), reasoning: 'y' }]), good: preference({ messages: [user('q')] }, [{ ...assistant('a'), reasoning: 'x' }], [{ ...assistant('b'), reasoning: 'y' }]) },
  { rule: 'preference.reasoning', bad: preference({ messages: [user('q')] }, [{ ...assistant('a'), reasoning: 'x' }], [assistant('b')]), good: preference({ messages: [user('q')] }, [{ ...assistant('a'), reasoning: 'x' }], [{ ...assistant('b'), reasoning: 'y' }]), says: /non_preferred_output/ },
  { rule: 'tools.invalid', bad: preference({ tools: [], messages: [user('weather?')] }), good: preference({ tools: TOOLS, messages: [user('weather?')] }) },
  { rule: 'tool-call.unknown-function', bad: preference({ tools: TOOLS, messages: [user('weather?')] }, [{ role: 'assistant', tool_calls: [call('get_time')] }]), good: preference({ tools: TOOLS, messages: [user('weather?')] }, [{ role: 'assistant', tool_calls: [call('get_weather')] }]) },
  { rule: 'preference.output', bad: preference({ messages: [user('q')] }, [{ role: 'assistant', tool_calls: [] }]), good: preference({ messages: [user('q')] }, [{ role: 'assistant', content: 'a', tool_calls: [] }]) },
  { rule: 'field.type', bad: '{"text": 5}', good: '{"text": "5"}' },
  { rule: 'field.type', bad: '{"prompt": "a", "completion": {"text": "b"}}', good: '{"prompt": "a", "completion": [{"type": "text", "text": "b"}]}' },
];

/** Rules whose cases need a file, a model or a size: tested in validate.test.ts and model.test.ts. */
const TESTED_ELSEWHERE: RuleId[] = [
  'file.empty',
  'file.too-large',
  'file.extension',
  'example.too-long',
  'model.reasoning', // model.test.ts
  'model.tools', // model.test.ts
  ...RULE_IDS.filter((id) => id.startsWith('parquet.')), // parquet.test.ts
];

describe('each rule: a failing line and its passing counterpart', () => {
  for (const c of CASES) {
    const label = typeof c.bad === 'string' ? c.bad.slice(0, 70) : `${c.bad.length} bytes`;
    test(`${c.rule}: ${label}`, () => {
      const bad = checkContent(c.bad, c.options);
      const found = [...bad.errors, ...bad.warnings].filter((i) => i.rule === c.rule);
      assert.ok(found.length > 0, `expected ${c.rule}, got ${JSON.stringify(rulesOf(bad))}`);
      if (c.says) assert.match(found[0]!.message, c.says);
      assert.equal(bad.valid, RULES[c.rule].severity === 'warning' ? bad.errors.length === 0 : false);
      const good = checkContent(c.good, c.options);
      assert.deepEqual(rulesOf(good), [], `the passing counterpart should be clean: ${JSON.stringify(good.errors)}`);
      assert.equal(good.valid, true);
    });
  }

  test('docs/dataset-rules.md lists every rule id with its severity', () => {
    const docs = readFileSync(new URL('../../docs/dataset-rules.md', import.meta.url), 'utf8');
    for (const id of RULE_IDS) assert.match(docs, new RegExp(`\\| \`${id.replace('.', '\\.')}\` \\| ${RULES[id].severity} \\|`), id);
  });

  test('every rule id has a case here or a named test elsewhere', () => {
    const covered = new Set<RuleId>([...CASES.map((c) => c.rule), ...TESTED_ELSEWHERE]);
    assert.deepEqual(RULE_IDS.filter((id) => !covered.has(id)), []);
  });
});

describe('issue shape', () => {
  test('errors carry a 1-based line, the rule id and a message', () => {
    const report = checkContent(`${OK}\n${conversation(user('a'))}\n`);
    assert.deepEqual(report.errors.map((e) => [e.line, e.rule]), [[2, 'messages.no-assistant']]);
    assert.match(report.errors[0]!.message, /add the assistant's reply/);
  });

  test('a line reports every problem it has, not just the first', () => {
    const report = checkContent(conversation({ role: 'bot', content: 'a' }, { role: 'user' }, { ...user('b'), weight: 3 }));
    assert.deepEqual(rulesOf(report), ['message.role-invalid', 'message.content-missing', 'message.role-repeat', 'message.weight', 'messages.no-assistant']);
  });
});

describe('profiles and flags where Together checks disagree', () => {
  const tools = toolConversation([call('get_weather')]);

  test('current (default) accepts tool calls, the tool role and a tools key', () => {
    assert.deepEqual(rulesOf(checkContent(tools)), []);
  });

  test('legacy rejects the tools key, the tool role and a tool-calling turn without content', () => {
    const rules = rulesOf(checkContent(tools, { profile: 'legacy' }));
    assert.deepEqual(rules.sort(), ['keys.extra', 'message.content-type', 'message.role-invalid'].sort());
  });

  test('parallel tool results (tool, tool) are not a role repeat; user, user is', () => {
    const line = JSON.stringify({
      messages: [
        user('both?'),
        { role: 'assistant', tool_calls: [call('get_weather'), { ...call('get_weather'), id: 'c2' }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'c2', content: 'rainy' },
        assistant('Sunny, then rain.'),
      ],
    });
    assert.deepEqual(rulesOf(checkContent(line)), []);
  });

  test('--allow-same-role-runs accepts user, user', () => {
    const line = conversation(user('a'), user('b'), assistant('c'));
    assert.deepEqual(rulesOf(checkContent(line, { allowSameRoleRuns: true })), []);
    assert.deepEqual(rulesOf(checkContent(line)), ['message.role-repeat']);
  });

  test('null tool_calls and weight count as absent (current), not with --profile legacy', () => {
    const line = conversation(user('a'), { ...assistant('b'), tool_calls: null, weight: null });
    assert.deepEqual(rulesOf(checkContent(line)), []);
    assert.deepEqual(rulesOf(checkContent(conversation(user('a'), { ...assistant('b'), tool_calls: [] }))), []);
    assert.deepEqual(rulesOf(checkContent(line, { profile: 'legacy' })), ['message.weight']);
  });

  test('weight true, 1.0 and 1e0 are rejected; 0, 1 and -0 accepted', () => {
    for (const w of ['true', '1.0', '1e0', '"1"', '2', '0.5']) {
      const line = `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":${w}}]}`;
      assert.deepEqual(rulesOf(checkContent(line)), ['message.weight'], w);
    }
    for (const w of ['0', '1', '-0']) {
      const line = `{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","weight":${w}}]}`;
      assert.deepEqual(rulesOf(checkContent(line)), [], w);
    }
  });

  test('escaped keys and duplicate keys are read as JSON.parse reads them (last wins)', () => {
    assert.deepEqual(rulesOf(checkContent('{"m\\u0065ssages":[{"role":"user","content":"a"},{"r\\u006fle":"assistant","content":"b","weight":1.0}]}')), ['message.weight']);
    assert.deepEqual(rulesOf(checkContent('{"messages":[],"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}')), []);
    assert.deepEqual(rulesOf(checkContent('{"text":"a","text":5}')), ['field.type']);
  });
});
