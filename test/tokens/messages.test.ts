import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeMessage, textWithToolCalls } from '../../src/tokens/messages.js';
import { parseChatInput } from '../../src/tokens/index.js';

describe('normalizeMessage', () => {
  test('joins text parts with a newline, keeps them as parts, and counts the other parts', () => {
    const m = normalizeMessage({
      role: 'user',
      content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: { url: 'data:' } }, { type: 'text', text: 'b' }],
    });
    assert.equal(m.text, 'a\nb');
    assert.deepEqual(m.parts, [
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
    ]);
    assert.equal(m.nonTextParts, 1);
  });

  test('maps developer to system and null content to no content', () => {
    const m = normalizeMessage({ role: 'developer', content: null });
    assert.equal(m.role, 'system');
    assert.equal(m.text, '');
    assert.equal(m.hasContent, false);
  });

  test('keeps tool-call arguments as text and parsed, whichever form they came in', () => {
    const fromText = normalizeMessage({
      role: 'assistant',
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }],
    });
    assert.deepEqual(fromText.toolCalls, [{ id: 'c1', type: 'function', name: 'f', argumentsText: '{"x":1}', argumentsValue: { x: 1 } }]);
    const fromObject = normalizeMessage({ role: 'assistant', tool_calls: [{ function: { name: 'g', arguments: { y: 2 } } }] });
    assert.equal(fromObject.toolCalls?.[0]?.argumentsText, '{"y":2}');
    assert.equal(fromObject.toolCalls?.[0]?.type, 'function');
    const notJson = normalizeMessage({ role: 'assistant', tool_calls: [{ function: { name: 'h', arguments: 'not json' } }] });
    assert.equal(notJson.toolCalls?.[0]?.argumentsValue, 'not json');
  });

  test('textWithToolCalls appends the tool calls as JSON', () => {
    const calls = [{ type: 'function', function: { name: 'f', arguments: '{}' } }];
    assert.equal(textWithToolCalls(normalizeMessage({ role: 'assistant', content: 'ok', tool_calls: calls })), `ok\n${JSON.stringify(calls)}`);
    assert.equal(textWithToolCalls(normalizeMessage({ role: 'assistant', tool_calls: calls })), JSON.stringify(calls));
  });
});

describe('parseChatInput', () => {
  test('reads a request body with tools, an array of messages, and JSON behind a BOM', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function' }] };
    assert.deepEqual(parseChatInput(JSON.stringify(body)), { messages: body.messages, tools: body.tools });
    assert.deepEqual(parseChatInput('[{"role":"user","content":"hi"}]'), { messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(parseChatInput('\uFEFF{"messages":[]}'), { messages: [] });
  });

  test('treats everything else as text', () => {
    for (const text of ['hello', '', '[]', '[1,2]', '{"messages":[{"content":"no role"}]}', '{"prompt":"x"}', '"just a string"']) {
      assert.equal(parseChatInput(text), undefined, text);
    }
  });
});
