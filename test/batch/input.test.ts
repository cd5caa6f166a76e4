import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssues, parseBatchInput } from '../../src/batch/index.js';
import { chatBody, MODEL } from './helpers.js';

const line = (value: unknown): string => JSON.stringify(value);

describe('parseBatchInput', () => {
  test('reads custom_id lines and plain bodies, skipping blank lines; generated ids are line-<n>', () => {
    const text = [line({ custom_id: 'a', body: chatBody(1) }), '', line(chatBody(2)), '  ', line({ body: chatBody(3) })].join('\r\n');
    const parsed = parseBatchInput(text);
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(
      parsed.requests.map((r) => [r.index, r.line, r.customId, r.endpoint]),
      [
        [0, 1, 'a', 'chat'],
        [1, 3, 'line-3', 'chat'],
        [2, 5, 'line-5', 'chat'],
      ],
    );
  });

  test('infers the endpoint from the body or from url', () => {
    const text = [
      line({ custom_id: 'c', body: { model: MODEL, prompt: 'Once upon' } }),
      line({ custom_id: 'e', body: { model: MODEL, input: 'embed me' } }),
      line({ custom_id: 'u', method: 'POST', url: '/v1/chat/completions', body: chatBody(1) }),
    ].join('\n');
    assert.deepEqual(
      parseBatchInput(text).requests.map((r) => r.endpoint),
      ['completions', 'embeddings', 'chat'],
    );
  });

  test('reports every problem with its line number', () => {
    const long = 'x'.repeat(65);
    const text = [
      line({ custom_id: 'dup', body: chatBody(1) }), // 1 ok
      '{not json', // 2
      line({ custom_id: 'dup', body: chatBody(2) }), // 3 duplicate of line 1
      line({ custom_id: long, body: chatBody(3) }), // 4 too long
      line({ custom_id: 'nobody' }), // 5
      line({ custom_id: 'x', body: 'text' }), // 6
      line({ custom_id: 'y', body: { model: MODEL, messages: [] } }), // 7 schema
      line({ custom_id: 'z', body: chatBody(1), extra: 1 }), // 8 unknown field
      line({ custom_id: 's', body: chatBody(1, { stream: true }) }), // 9
      line({ custom_id: 'm', body: { messages: [{ role: 'user', content: 'hi' }] } }), // 10 no model
      line([1, 2]), // 11
      line({ hello: 'world' }), // 12 nothing to run
    ].join('\n');
    const parsed = parseBatchInput(text);
    const byLine = new Map<number, string[]>();
    for (const issue of parsed.issues) byLine.set(issue.line, [...(byLine.get(issue.line) ?? []), issue.message]);
    assert.deepEqual([...byLine.keys()], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.match(byLine.get(2)![0]!, /not valid JSON/);
    assert.match(byLine.get(3)![0]!, /custom_id "dup" is also used on line 1/);
    assert.match(byLine.get(4)![0]!, /65 characters; Together allows at most 64/);
    assert.match(byLine.get(5)![0]!, /no `body`/);
    assert.match(byLine.get(6)![0]!, /`body` must be a JSON object/);
    assert.match(byLine.get(7)![0]!, /body\.messages must contain at least one message/);
    assert.match(byLine.get(8)![0]!, /unknown field `extra`/);
    assert.match(byLine.get(9)![0]!, /stream: true/);
    assert.match(byLine.get(10)![0]!, /body\.model/);
    assert.match(byLine.get(11)![0]!, /must be a JSON object/);
    assert.match(byLine.get(12)![0]!, /no `messages`/);
    assert.equal(parsed.requests.length, 1);
    assert.match(formatIssues(parsed.issues, 3).at(-1)!, /and 8 more/);
  });

  test('--model replaces every body model and changes the job fingerprint; onlyEndpoint rejects others', () => {
    const text = [line({ custom_id: 'a', body: chatBody(1) }), line({ custom_id: 'b', body: { model: MODEL, prompt: 'p' } })].join('\n');
    const plain = parseBatchInput(text);
    const other = parseBatchInput(text, { model: 'Qwen/Qwen2.5-7B-Instruct-Turbo' });
    assert.equal(other.requests[0]!.body.model, 'Qwen/Qwen2.5-7B-Instruct-Turbo');
    assert.notEqual(plain.fingerprint, other.fingerprint);
    assert.equal(parseBatchInput(text).fingerprint, plain.fingerprint);
    const chatOnly = parseBatchInput(text, { onlyEndpoint: 'chat' });
    assert.deepEqual(chatOnly.issues.map((i) => i.line), [2]);
    assert.match(chatOnly.issues[0]!.message, /runs \/v1\/chat\/completions only/);
  });

  test('an empty file is an issue, not an empty job', () => {
    assert.match(parseBatchInput('\n\n').issues[0]!.message, /no requests/);
  });
});
