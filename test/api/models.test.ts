import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport, listModels, parseModelList, type Transport } from '../../src/api/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { startServer, type LocalServer } from './local-server.js';

const MODEL = { id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', object: 'model', created: 1, type: 'chat', context_length: 131072 };

describe('listModels', () => {
  let server: LocalServer;
  let transport: Transport;
  let answer: { status: number; body: string; type?: string } = { status: 200, body: '[]' };

  before(async () => {
    server = await startServer((req, res) => {
      assert.equal(req.url, '/v1/models');
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      res.end(answer.body);
    });
    transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: 'tgp_v1_models_test_key_0000' });
  });
  after(async () => {
    await transport.close();
    await server.stop();
  });

  test('reads the bare array Together answers', async () => {
    answer = { status: 200, body: JSON.stringify([MODEL, { no: 'id' }]) };
    assert.deepEqual(await listModels(transport), [MODEL]);
  });

  test('also reads an OpenAI-style {data: [...]} list', async () => {
    answer = { status: 200, body: JSON.stringify({ object: 'list', data: [MODEL] }) };
    assert.deepEqual(await listModels(transport), [MODEL]);
  });

  test('a 401 is thrown as a classified auth error', async () => {
    answer = {
      status: 401,
      body: JSON.stringify({ error: { message: 'Invalid API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }),
    };
    await assert.rejects(listModels(transport, { keySource: 'env' }), (error) => isTogetherError(error) && error.category === 'auth' && error.status === 401);
  });

  test('a 200 that is not a model list says something else answered', async () => {
    answer = { status: 200, body: '<html>login</html>', type: 'text/html' };
    await assert.rejects(listModels(transport), (error) => isTogetherError(error) && /not JSON/.test(error.message) && /TOGETHER_BASE_URL/.test(error.fix));
    answer = { status: 200, body: '{"models": 3}' };
    await assert.rejects(listModels(transport), /not a list of models/);
  });
});

test('parseModelList rejects shapes that are not lists', () => {
  assert.equal(parseModelList({}), undefined);
  assert.equal(parseModelList(null), undefined);
  assert.deepEqual(parseModelList([]), []);
});

