// Chat rendering per family. Rendering needs only templates (no tokenizer load), so these run fast.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countChatTokens, renderChat } from '../../src/tokens/index.js';

const sys = { role: 'system', content: 'Be brief.' };
const user = { role: 'user', content: 'Hi there' };
const answer = { role: 'assistant', content: 'Hello.' };
const call = { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
const toolTurn = [
  { role: 'user', content: 'Weather in Paris?' },
  { role: 'assistant', content: null, tool_calls: [call] },
  { role: 'tool', tool_call_id: 'c1', content: '{"temp":21}' },
];
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Get the weather',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
    },
  },
];

describe('renderChat', () => {
  test('adds the generation prompt by default and not when asked not to', () => {
    const withPrompt = renderChat('llama3', [user]);
    assert.ok(withPrompt.endsWith('<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n'));
    assert.ok(renderChat('llama3', [user], { addGenerationPrompt: false }).endsWith('Hi there<|eot_id|>'));
    assert.ok(renderChat('qwen3', [user]).endsWith('<|im_start|>assistant\n'));
    assert.ok(renderChat('deepseek_v3', [user]).endsWith('<｜Assistant｜>'));
    assert.ok(renderChat('gemma3', [user]).endsWith('<start_of_turn>model\n'));
    assert.ok(renderChat('gptoss', [user]).endsWith('<|end|><|start|>assistant'));
  });

  test('Llama 3.1 always writes the dated system block, with a fixed date', () => {
    const text = renderChat('meta-llama/Llama-3.3-70B-Instruct-Turbo', [user]);
    assert.ok(
      text.startsWith(
        '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>',
      ),
    );
  });

  test('Qwen2.5 inserts its default system prompt; Qwen3 does not', () => {
    assert.ok(renderChat('qwen2_5', [user]).startsWith('<|im_start|>system\nYou are Qwen, created by Alibaba Cloud.'));
    assert.ok(renderChat('qwen3', [user]).startsWith('<|im_start|>user\nHi there'));
  });

  test('Gemma 3 and Mistral merge the system message into the first user turn', () => {
    assert.equal(
      renderChat('gemma3', [sys, user, answer], { addGenerationPrompt: false }),
      '<bos><start_of_turn>user\nBe brief.\n\nHi there<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n',
    );
    assert.equal(renderChat('mistral_v1', [sys, user, answer, user]), '<s>[INST] Be brief.\n\nHi there [/INST]Hello.</s>[INST] Hi there [/INST]');
  });

  test('content parts: joined with newlines for string templates, passed as parts to Gemma 3', () => {
    const parts = { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: ' two' }] };
    assert.ok(renderChat('llama3', [parts]).includes('\n\none\n two<|eot_id|>'));
    assert.ok(renderChat('gemma3', [parts]).includes('user\nonetwo<end_of_turn>')); // Gemma trims each part
  });

  test('tool calls are rendered by templates that know them, else counted as JSON in the content', () => {
    const qwen = renderChat('qwen2_5', toolTurn);
    assert.ok(qwen.includes('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'));
    assert.ok(qwen.includes('<|im_start|>user\n<tool_response>\n{"temp":21}\n</tool_response><|im_end|>'));
    assert.ok(renderChat('llama3_1', toolTurn).includes('{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>'));
    assert.ok(renderChat('deepseek_v3', toolTurn).includes('<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city":"Paris"}\n```'));
    assert.ok(renderChat('gptoss', toolTurn).includes('<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{"city": "Paris"}<|call|>'));
    for (const family of ['llama3', 'gemma3', 'mistral_v1']) {
      assert.ok(renderChat(family, toolTurn).includes(JSON.stringify([call])), family);
    }
  });

  test('DeepSeek keeps both the text and the tool calls of one assistant turn', () => {
    const both = [toolTurn[0]!, { role: 'assistant', content: 'Let me check.', tool_calls: [call] }];
    const text = renderChat('deepseek_v3', both);
    assert.ok(text.includes('Let me check.'));
    assert.ok(text.includes('get_weather'));
  });

  test('tool definitions: in the system prompt for Qwen, the first user turn for Llama 3.1, a namespace for gpt-oss', () => {
    assert.ok(renderChat('qwen3', [user], { tools }).includes('<tools>\n{"type": "function", "function": {"name": "get_weather"'));
    assert.ok(renderChat('llama3_1', [user], { tools }).includes('Given the following functions'));
    const harmony = renderChat('gptoss', [sys, user], { tools });
    assert.ok(harmony.includes('<|start|>developer<|message|># Instructions\n\nBe brief.\n\n# Tools\n\n## functions\n\nnamespace functions {'));
    assert.ok(harmony.includes('// Get the weather\ntype get_weather = (_: {\n// City name\ncity: string,\n}) => any;'));
    assert.ok(harmony.includes("\nCalls to these tools must go to the commentary channel: 'functions'.<|end|>"));
  });

  test('harmony ends a final assistant turn with <|return|> only when no generation prompt follows', () => {
    assert.ok(renderChat('gptoss', [user, answer], { addGenerationPrompt: false }).endsWith('<|channel|>final<|message|>Hello.<|return|>'));
    assert.ok(renderChat('gptoss', [user, answer, user]).includes('final<|message|>Hello.<|end|>'));
    assert.ok(renderChat('gptoss', [user]).includes('Current date: 2025-06-28\n\nReasoning: medium\n\n'));
  });

  test('developer messages count as system messages', () => {
    assert.equal(renderChat('qwen3', [{ role: 'developer', content: 'Rules.' }, user]), renderChat('qwen3', [{ role: 'system', content: 'Rules.' }, user]));
  });

  test('an unknown model has no template to render', () => {
    assert.throws(() => renderChat('acme/unknown-model', [user]), /no tokenizer family is known/);
  });
});

describe('countChatTokens when the template rejects the chat', () => {
  test('Gemma 3 with two user turns in a row gives a documented estimate, not an error', async () => {
    const count = await countChatTokens('google/gemma-3-27b-it', [user, user]);
    assert.equal(count.exact, false);
    assert.equal(count.family, undefined);
    assert.match(count.note ?? '', /gemma3 chat template rejected this chat \(Conversation roles must alternate/);
    assert.ok(count.tokens > 2 * Buffer.byteLength('Hi there'));
  });
});
