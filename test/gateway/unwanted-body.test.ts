// Issue 15 (failure 12's class): a body sent to a route that takes none (GET /healthz, /metrics, /v1/models, the
// dashboard, a pass-through GET) was resumed and read to its end, bounded only by the request timeout: an endless chunked upload kept the
// gateway reading (48 MB in this test). Now at most limits.maxBodyBytes of it is read, then the connection is closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { endlessUpload } from '../support/endless-upload.js';
import { startTestGateway } from './helpers.js';
import type { TestGateway } from './helpers.js';

const LIMIT = 64 * 1024;
const TOKEN = 'client-token-unwanted-1';

describe('gateway: a body nobody reads is bounded in bytes', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ limits: { maxBodyBytes: LIMIT }, clients: [{ name: 'a', token: TOKEN }] });
  });
  after(() => t.gateway.close());

  for (const path of ['/healthz', '/metrics', '/v1/models', '/ui', '/ui/data.json', '/v1/files']) {
    test(`GET ${path} with an endless body: answered, then closed`, async () => {
      const result = await endlessUpload(t.gateway.port, `GET ${path} HTTP/1.1\r\nauthorization: Bearer ${TOKEN}\r\n`);
      // A route that answers after an await may find the connection already closed: no status then.
      assert.ok(Number.isNaN(result.status) || (result.status >= 200 && result.status < 600), `status ${result.status}`);
      assert.ok(result.closedByServer, `the gateway read all ${result.written} bytes written`);
      assert.ok(result.written < 16 * 1024 * 1024, `${result.written} bytes written before the close`);
    });
  }

  test('still serving afterwards', async () => {
    const response = await fetch(`${t.gateway.url}/healthz`);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });
});
