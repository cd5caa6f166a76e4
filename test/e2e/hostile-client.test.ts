// Issue 15's red-team pass as a bounded regression test: every hostile request below is sent once, over a raw socket,
// to the real gateway (client auth on, the emulator as upstream) and to the emulator itself. Each must be answered
// (a refusal in the JSON error envelope where one is due) within a time bound, nothing may leak into Object.prototype,
// and both servers must still serve afterwards. Then streams abandoned mid-way must leave no request in flight.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, MODELS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const TOKEN = 'hostile-client-token-0001';
/** An answer takes longer than this only if something is wrong (the machine may be loaded: generous). */
const ANSWER_WITHIN_MS = 4_000;

interface Answer {
  /** Status of each response on the connection, in order. */
  statuses: number[];
  /** Body of the first response. */
  body: string;
  ms: number;
}

/** Writes `data`, collects everything until the server closes (every request here asks it to). */
function exchange(port: number, data: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined); // a reset after the answer: what was read counts
    socket.on('close', () => {
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      const head = text.indexOf('\r\n\r\n');
      resolve({ statuses, body: head < 0 ? '' : text.slice(head + 4), ms: performance.now() - started });
    });
    socket.setTimeout(ANSWER_WITHIN_MS * 2, () => {
      socket.destroy();
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS * 2} ms`));
    });
  });
}

function request(method: string, path: string, headers: readonly string[], body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: x', ...headers];
  if (body) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  lines.push('connection: close');
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const chat = (extra = ''): string => `{"model":"${MODELS.chat}","messages":[{"role":"user","content":"hi"}],"max_tokens":3${extra}}`;
const json = ['content-type: application/json'];

/** `refused`: a 4xx/5xx in the JSON envelope. `answered`: any answer (what is hostile there is only the input's form). */
type Expect = 'refused' | 'answered';
type Attack = [name: string, expect: Expect, make: (auth: string) => string | Buffer];

const ATTACKS: Attack[] = [
  // Headers
  ['3,000 headers', 'refused', (a) => request('GET', '/v1/models', [a, ...Array.from({ length: 3000 }, (_, i) => `x-h${i}: v`)])],
  ['a 100 KB authorization header', 'refused', () => request('GET', '/v1/models', [`authorization: Bearer ${'a'.repeat(100_000)}`])],
  ['a NUL byte in a header', 'refused', (a) => request('GET', '/v1/models', [a, 'x-a: b\u0000c'])],
  ['a bare CR in a header value', 'refused', (a) => request('GET', '/v1/models', [a, 'x-a: b\rc'])],
  ['an obs-fold continuation line', 'refused', (a) => request('GET', '/v1/models', [a, 'x-a: b', ' folded'])],
  ['a 1 MB query string', 'refused', (a) => request('GET', `/v1/models?q=${'x'.repeat(1_000_000)}`, [a])],
  ['an upgrade to websocket', 'answered', (a) => request('GET', '/v1/models', [a, 'upgrade: websocket', 'connection: upgrade'])],
  // Paths
  ['//v1/models', 'answered', (a) => request('GET', '//v1/models', [a])],
  ['/v1/../v1/models', 'answered', (a) => request('GET', '/v1/../v1/models', [a])],
  ['/%2e%2e/v1/models', 'answered', (a) => request('GET', '/%2e%2e/v1/models', [a])],
  ['/v1/models%00', 'refused', (a) => request('GET', '/v1/models%00', [a])],
  ['a malformed escape /v1/%ZZ', 'refused', (a) => request('GET', '/v1/%ZZ', [a])],
  ['an 8 KB path', 'refused', (a) => request('GET', `/v1/${'a'.repeat(8000)}`, [a])],
  ['an absolute-form URL', 'answered', (a) => request('GET', 'http://elsewhere.example/v1/models', [a])],
  // Methods
  ['TRACE', 'refused', (a) => request('TRACE', '/v1/models', [a])],
  ['CONNECT', 'refused', (a) => `CONNECT elsewhere.example:443 HTTP/1.1\r\nhost: elsewhere.example:443\r\n${a}\r\n\r\n`],
  ['OPTIONS', 'refused', (a) => request('OPTIONS', '/v1/chat/completions', [a])],
  ['OPTIONS *', 'refused', (a) => request('OPTIONS', '*', [a])],
  ['a lower-case method', 'refused', (a) => request('get', '/v1/models', [a])],
  ['an unknown method', 'refused', (a) => request('BREW', '/v1/models', [a])],
  // Framing
  ['content-length with chunked (smuggling)', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n`],
  ['two content-lengths', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ncontent-length: 5\r\ncontent-length: 500\r\n\r\n{"a":`],
  ['a chunk size that is not hex', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
  ['a 200 KB chunk extension', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ntransfer-encoding: chunked\r\n\r\n5;${'e'.repeat(200_000)}\r\nabcde\r\n0\r\n\r\n`],
  ['content-length 1e20', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ncontent-length: 99999999999999999999\r\n\r\n{}`],
  ['transfer-encoding: gzip', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ntransfer-encoding: gzip\r\n\r\n{}`],
  ['no Host on HTTP/1.1', 'refused', (a) => `GET /v1/models HTTP/1.1\r\n${a}\r\nconnection: close\r\n\r\n`],
  ['an Expect other than 100-continue', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\nexpect: 999-magic\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`],
  ['a space before a header colon', 'refused', (a) => `GET /v1/models HTTP/1.1\r\nhost : x\r\n${a}\r\nconnection: close\r\n\r\n`],
  ['bare LF line ends', 'refused', (a) => `GET /v1/models HTTP/1.1\nhost: x\n${a}\nconnection: close\n\n`],
  ['an HTTP/2 preface', 'refused', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['a TLS ClientHello', 'refused', () => Buffer.from(`16030100a5010000a10303${'00'.repeat(80)}`, 'hex')],
  ['transfer-encoding: chunked, identity', 'refused', (a) => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n${a}\r\ntransfer-encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
  // Bodies
  ['a form body on chat', 'refused', (a) => request('POST', '/v1/chat/completions', [a, 'content-type: application/x-www-form-urlencoded'], 'model=x&messages=y')],
  ['a JSON array body', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], '[1,2]')],
  ['a JSON null body', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], 'null')],
  ['invalid UTF-8 inside a string', 'answered', (a) => {
    const body = Buffer.from(chat().replace('"hi"', '"h\u00ff\u00fei"'), 'latin1'); // the bytes 0xff 0xfe: never UTF-8
    return Buffer.concat([Buffer.from(request('POST', '/v1/chat/completions', [a, ...json, `content-length: ${body.length}`])), body]);
  }],
  ['an escaped lone surrogate', 'answered', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat().replace('"hi"', '"\\ud800"'))],
  ['max_tokens 1e400', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat().replace('"max_tokens":3', '"max_tokens":1e400'))],
  ['max_tokens -0', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat().replace('"max_tokens":3', '"max_tokens":-0'))],
  ['max_tokens 2^53 + 2', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat().replace('"max_tokens":3', '"max_tokens":9007199254740994'))],
  ['temperature 1e400', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(',"temperature":1e400'))],
  ['n 1e9', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(',"n":1000000000'))],
  ['seed 1e300', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(',"seed":1e300'))],
  ['500,000 stop strings', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(`,"stop":${JSON.stringify(Array.from({ length: 500_000 }, (_, i) => `s${i}`))}`))],
  ['50,000 tool definitions', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(`,"tools":${JSON.stringify(Array.from({ length: 50_000 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })))}`))],
  ['__proto__ and constructor in the body', 'answered', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(',"__proto__":{"polluted":1,"stream":true},"constructor":{"prototype":{"polluted":1}}'))],
  ['__proto__ as a message', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], `{"model":"${MODELS.chat}","messages":[{"__proto__":{"role":"user","content":"x"}}]}`)],
  ['a NUL in the model id', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat().replace(MODELS.chat, `${MODELS.chat}\\u0000x`))],
  ['a 200 KB model id', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat().replace(MODELS.chat, 'm'.repeat(200_000)))],
  ['JSON nested 100,000 deep', 'refused', (a) => request('POST', '/v1/chat/completions', [a, ...json], chat(`,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}`))],
  // Auth
  ['no authorization', 'refused', () => request('GET', '/v1/models', [])],
  ['Basic auth', 'refused', () => request('GET', '/v1/models', [`authorization: Basic ${Buffer.from('a:b').toString('base64')}`])],
  ['the token minus its last character', 'refused', (a) => request('GET', '/v1/models', [a.slice(0, -1)])],
  ['the token plus one character', 'refused', (a) => request('GET', '/v1/models', [`${a}x`])],
  ['a non-ASCII token', 'refused', () => request('GET', '/v1/models', [`authorization: Bearer ${'é'.repeat(12)}`])],
  ['the token in x-api-key instead', 'refused', (a) => request('GET', '/v1/models', [`x-api-key: ${a.slice('authorization: Bearer '.length)}`])],
];

describe('hostile clients against the gateway and the emulator', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  const targets: Array<{ name: string; port: () => number; auth: string }> = [
    { name: 'gateway', port: () => gateway.port, auth: `authorization: Bearer ${TOKEN}` },
    { name: 'emulator', port: () => emu.port, auth: `authorization: Bearer ${KEYS.main}` },
  ];

  before(async () => {
    emu = await startTestEmulator();
    gateway = await createGateway(
      { port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main }, clients: [{ name: 'hostile', token: TOKEN }], overload: false },
      { env: {} },
    );
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  for (const target of targets) {
    test(`${target.name}: each hostile request is answered in time, refusals in the envelope`, async () => {
      const failures: string[] = [];
      for (const [name, expect, make] of ATTACKS) {
        const answer = await exchange(target.port(), make(target.auth)).catch((error: Error) => error);
        if (answer instanceof Error) {
          failures.push(`${name}: ${answer.message}`);
          continue;
        }
        const status = answer.statuses[0];
        if (status === undefined) failures.push(`${name}: closed without an answer`);
        else if (answer.ms > ANSWER_WITHIN_MS) failures.push(`${name}: answered in ${answer.ms.toFixed(0)} ms`);
        else if (expect === 'refused') {
          if (status < 400) failures.push(`${name}: ${status}, expected a refusal`);
          else {
            let message: unknown;
            try {
              message = (JSON.parse(answer.body) as { error?: { message?: unknown } }).error?.message;
            } catch {
              message = undefined;
            }
            if (typeof message !== 'string') failures.push(`${name}: ${status} without the JSON error envelope: ${answer.body.slice(0, 120)}`);
            else if (answer.body.length > 4_000) failures.push(`${name}: a ${answer.body.length}-character error (echoes the input?)`);
          }
        }
      }
      assert.deepEqual(failures, []);
      assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
    });
  }

  test('both still serve after the attacks', async () => {
    const health = await fetch(`${gateway.url}/healthz`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();
    for (const [url, auth] of [
      [`${gateway.baseUrl}/chat/completions`, TOKEN],
      [`${emu.baseUrl}/chat/completions`, KEYS.main],
    ] as const) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` }, body: chat() });
      assert.equal(response.status, 200, await response.text());
    }
  });

  test('60 streams abandoned mid-way leave nothing in flight', async () => {
    emu.setFaults([{ kind: 'slow_stream', chunkDelayMs: 20, model: MODELS.overloaded }]);
    try {
      const body = JSON.stringify({ model: MODELS.overloaded, messages: [{ role: 'user', content: 'write a long story' }], stream: true, max_tokens: 400 });
      const sockets = await Promise.all(
        Array.from(
          { length: 60 },
          () =>
            new Promise<ReturnType<typeof connect>>((resolve) => {
              const socket = connect(gateway.port, '127.0.0.1', () =>
                socket.write(request('POST', '/v1/chat/completions', [`authorization: Bearer ${TOKEN}`, ...json], body).replace('connection: close\r\n', '')),
              );
              let read = 0;
              socket.on('data', (chunk: Buffer) => {
                read += chunk.length;
                if (read > 600) resolve(socket); // the stream has started
              });
              socket.on('error', () => resolve(socket));
              setTimeout(() => resolve(socket), 5_000);
            }),
        ),
      );
      // Half reset at once, half stop reading first (a client gone quiet), then all go.
      sockets.forEach((socket, i) => (i % 2 === 0 ? socket.destroy() : socket.pause()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const socket of sockets) socket.destroy();
      const deadline = performance.now() + 5_000;
      let inflight = -1;
      while (performance.now() < deadline) {
        const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as { inflight: number };
        inflight = health.inflight;
        if (inflight === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(inflight, 0, 'every abandoned stream has left the in-flight count');
    } finally {
      emu.setFaults([]);
    }
  });
});
