// Issue 15, failure 3, at the bottom: the transport removes every form of the keys it sends with from the body of
// every error answer, so no caller — the catalog, the batch and fine-tune commands, the doctor — can pass an echoed
// key on, whether it reads the body with text(), json() or sendText. Success bodies are handed over untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from '../../src/api/index.js';
import { leakedForms, secretForms } from '../support/hostile-upstream.js';
import { startServer } from './local-server.js';
import type { LocalServer } from './local-server.js';

const KEY = 'tgp_v1_TRANSPORT+key/0123456789_abcXYZ';
const OTHER = 'tgp_v1_OTHERKEY+x/9876543210_zyxWVU';

let server: LocalServer;
before(async () => {
  server = await startServer((req, res) => {
    const key = /^Bearer (\S+)/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const echoed = [...Object.values(secretForms(key)), ...Object.values(secretForms(OTHER))].join(' ').replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const status = req.url?.endsWith('/fine') ? 200 : 401;
    res.writeHead(status, { 'content-type': 'application/json' }).end(`{"error":{"message":"${echoed}"}}`);
  });
});
after(async () => {
  await server?.stop();
});

describe('the transport scrubs error bodies', () => {
  test('text(), json() and sendText of a 401 carry no form of the key sent with, the default key or a configured one', async () => {
    const transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: KEY, secrets: [OTHER] });
    try {
      const viaText = await (await transport.send({ method: 'GET', path: '/models' })).body.text();
      const viaJson = JSON.stringify(await (await transport.send({ method: 'GET', path: '/models' })).body.json());
      const viaSendText = (await transport.sendText!({ method: 'GET', path: '/models' })).text;
      const other = 'tgp_v1_PERREQUEST+k/5555555555_qqqQQQ';
      const perRequest = await (await transport.send({ method: 'GET', path: '/models', apiKey: other })).body.text();
      for (const [what, text] of Object.entries({ viaText, viaJson, viaSendText, perRequest })) {
        for (const key of [KEY, OTHER, other]) assert.deepEqual(leakedForms(text, key), [], `${what}: ${text.slice(0, 200)}`);
        assert.match(text, /\[redacted\]/);
      }
      JSON.parse(viaText);
    } finally {
      await transport.close();
    }
  });

  test('a success body is handed over as it came', async () => {
    const transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: KEY });
    try {
      const text = await (await transport.send({ method: 'GET', path: '/fine' })).body.text();
      assert.notDeepEqual(leakedForms(text, KEY), []);
    } finally {
      await transport.close();
    }
  });
});

describe('an error body read as a stream', () => {
  test('is scrubbed too (resilientFetch passes other paths on as streams)', async () => {
    const transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: KEY });
    try {
      const response = await transport.send({ method: 'GET', path: '/files' });
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks).toString('utf8');
      assert.deepEqual(leakedForms(text, KEY), [], text.slice(0, 200));
      JSON.parse(text);
    } finally {
      await transport.close();
    }
  });
});
