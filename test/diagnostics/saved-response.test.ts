import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { SavedResponseError, parseSavedResponse } from '../../src/diagnostics/index.js';

const BODY = '{"id":"x1","error":{"message":"Rate limit exceeded","type":"dynamic_request_limited","param":null,"code":null}}';

describe('parseSavedResponse', () => {
  test('curl -i output (HTTP/2, CRLF): status, lower-case headers in order, body', () => {
    const saved = parseSavedResponse(`HTTP/2 429 \r\nContent-Type: application/json\r\nRetry-After: 2\r\nX-Request-Id: abc\r\n\r\n${BODY}`);
    assert.equal(saved.httpVersion, '2');
    assert.equal(saved.status, 429);
    assert.deepEqual(saved.headers, [
      ['content-type', 'application/json'],
      ['retry-after', '2'],
      ['x-request-id', 'abc'],
    ]);
    assert.equal(saved.body.toString(), BODY);
  });

  test('LF line endings, a BOM, leading blank lines, a folded header, and no body at all', () => {
    const saved = parseSavedResponse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n\nHTTP/1.1 503 Service Unavailable\nx-note: one\n  two\n')]));
    assert.equal(saved.status, 503);
    assert.equal(saved.statusText, 'Service Unavailable');
    assert.deepEqual(saved.headers, [['x-note', 'one two']]);
    assert.equal(saved.body.length, 0);
  });

  test('interim answers, a proxy tunnel and redirects before the final response are passed over', () => {
    const text = [
      'HTTP/1.1 200 Connection established\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 307 Temporary Redirect\r\nlocation: /v1/x\r\n\r\n',
      `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n${BODY}`,
    ].join('');
    const saved = parseSavedResponse(text);
    assert.equal(saved.status, 401);
    assert.equal(saved.body.toString(), BODY);
  });

  test('a raw capture: chunked framing and gzip are undone', () => {
    const gz = gzipSync(Buffer.from(BODY));
    const chunked = Buffer.concat([
      Buffer.from('HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n'),
      Buffer.from(`${(10).toString(16)}\r\n`),
      gz.subarray(0, 10),
      Buffer.from(`\r\n${(gz.length - 10).toString(16)}\r\n`),
      gz.subarray(10),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    assert.equal(parseSavedResponse(chunked).body.toString(), BODY);
    // curl already decoded: a header saying chunked/gzip over a plain body leaves it as it is.
    assert.equal(parseSavedResponse(`HTTP/1.1 500 x\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n${BODY}`).body.toString(), BODY);
  });

  test('curl -v output (2>&1): the < lines are the head, the body follows', () => {
    const verbose = [
      '*   Trying 127.0.0.1:443...',
      '> GET /v1/models HTTP/1.1',
      '> Authorization: Bearer [hidden]',
      '>',
      '< HTTP/1.1 402 Payment Required',
      '< content-type: application/json',
      '< x-request-id: req-402',
      '<',
      '{ [123 bytes data]',
      BODY,
      '* Connection #0 to host left intact',
    ].join('\n');
    const saved = parseSavedResponse(verbose);
    assert.equal(saved.status, 402);
    assert.deepEqual(saved.headers, [
      ['content-type', 'application/json'],
      ['x-request-id', 'req-402'],
    ]);
    assert.equal(saved.body.toString(), BODY);
  });

  test('not a response: an error that says what a saved response looks like, never quoting the input', () => {
    const secret = 'tgp_v1_neverEchoThisKey1234567890';
    for (const input of ['', '   \n', `{"error": "${secret}"}`, `HTTP/1.1 200 OK\r\nAuthorization ${secret}\r\n\r\n`]) {
      assert.throws(
        () => parseSavedResponse(input),
        (error: unknown) => {
          assert.ok(error instanceof SavedResponseError);
          assert.ok(!error.message.includes(secret));
          assert.match(error.message, /status line|empty|header/);
          return true;
        },
        JSON.stringify(input),
      );
    }
  });
});
