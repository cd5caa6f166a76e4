import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { Agent, errors as undiciErrors, request } from 'undici';
import { TogetherError, classify, classifyNetworkError } from '../../src/errors/index.js';
import type { ErrorCategory } from '../../src/errors/index.js';

/** What a call threw (the test fails if it did not throw). */
async function thrown(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to throw');
}

function expect(error: TogetherError, want: { category: ErrorCategory; retryable: boolean; code?: string }): void {
  assert.equal(error.category, want.category, error.message);
  assert.equal(error.retryable, want.retryable, error.message);
  if (want.code !== undefined) assert.equal(error.code, want.code);
  assert.equal(error.status, undefined, 'a transport failure has no status');
  assert.ok(error.cause.length > 20 && error.fix.length > 20);
}

describe('real transport failures', () => {
  let server: http.Server;
  let base: string;
  let closedPort: number;
  const agent = new Agent({ headersTimeout: 100, bodyTimeout: 100 });

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/reset') req.socket.resetAndDestroy();
      else if (req.url === '/close') req.socket.destroy();
      else if (req.url === '/stall-body') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      }
      // '/stall': never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });

  after(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("ECONNREFUSED from fetch (inside TypeError('fetch failed').cause) and from undici.request", async () => {
    const viaFetch = await thrown(() => fetch(`http://127.0.0.1:${closedPort}/v1/models`));
    assert.ok(viaFetch instanceof TypeError && (viaFetch.cause as { code?: string }).code === 'ECONNREFUSED');
    const error = classifyNetworkError(viaFetch, { model: 'm/x' });
    expect(error, { category: 'network', retryable: true, code: 'ECONNREFUSED' });
    assert.equal(error.message, `Connection refused by 127.0.0.1:${closedPort} (ECONNREFUSED)`);
    assert.equal(error.model, 'm/x');
    assert.equal(error.original, viaFetch);
    assert.match(error.fix, /TOGETHER_BASE_URL/);

    const viaUndici = await thrown(() => request(`http://127.0.0.1:${closedPort}/`));
    expect(classifyNetworkError(viaUndici), { category: 'network', retryable: true, code: 'ECONNREFUSED' });
  });

  test('ENOTFOUND from dns.lookup and from fetch: DNS is not retryable, the fix names the base URL and proxy', async () => {
    for (const failure of [await thrown(() => lookup('nonexistent.invalid')), await thrown(() => fetch('http://nonexistent.invalid/v1'))]) {
      const error = classifyNetworkError(failure);
      // Without a resolver the same lookup fails as EAI_AGAIN; both are DNS failures.
      assert.ok(error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN', String(error.code));
      expect(error, { category: 'network', retryable: false });
      assert.match(error.message, /DNS lookup failed for nonexistent\.invalid/);
      assert.match(error.fix, /TOGETHER_BASE_URL/);
      assert.match(error.fix, /HTTPS_PROXY/);
    }
  });

  test('a reset and a closed socket are retryable network errors', async () => {
    const reset = await thrown(() => fetch(`${base}/reset`));
    expect(classifyNetworkError(reset), { category: 'network', retryable: true, code: 'ECONNRESET' });
    const closed = await thrown(() => fetch(`${base}/close`));
    expect(classifyNetworkError(closed), { category: 'network', retryable: true, code: 'UND_ERR_SOCKET' });
  });

  test("undici's headers and body timeouts are retryable timeouts", async () => {
    // undici checks these timeouts on a coarse (~1 s) clock: wait for both at once.
    const [headers, body] = await Promise.all([
      thrown(() => request(`${base}/stall`, { dispatcher: agent })),
      thrown(async () => {
        const response = await request(`${base}/stall-body`, { dispatcher: agent });
        await response.body.text();
      }),
    ]);
    expect(classifyNetworkError(headers), { category: 'timeout', retryable: true, code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(classifyNetworkError(body), { category: 'timeout', retryable: true, code: 'UND_ERR_BODY_TIMEOUT' });
  });

  test("AbortSignal.timeout is a retryable timeout; the caller's own abort is not retryable", async () => {
    const deadline = await thrown(() => fetch(`${base}/stall`, { signal: AbortSignal.timeout(50) }));
    assert.equal((deadline as Error).name, 'TimeoutError');
    expect(classifyNetworkError(deadline), { category: 'timeout', retryable: true, code: 'TimeoutError' });

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20);
    const aborted = await thrown(() => fetch(`${base}/stall`, { signal: controller.signal }));
    clearTimeout(timer);
    const error = classifyNetworkError(aborted);
    expect(error, { category: 'network', retryable: false, code: 'AbortError' });
    assert.match(error.message, /aborted by the caller/);

    const undiciAbort = new AbortController();
    const timer2 = setTimeout(() => undiciAbort.abort(), 20);
    const viaUndici = await thrown(() => request(`${base}/stall`, { signal: undiciAbort.signal }));
    clearTimeout(timer2);
    expect(classifyNetworkError(viaUndici), { category: 'network', retryable: false });
  });

  test('TLS spoken to a plain-http port: a TLS failure, not retryable, the fix names the URL scheme and CA', async () => {
    const failure = await thrown(() => fetch(`${base.replace('http:', 'https:')}/v1/models`));
    const error = classifyNetworkError(failure);
    expect(error, { category: 'network', retryable: false });
    assert.match(String(error.code), /^(ERR_SSL_|EPROTO)/);
    assert.match(error.fix, /TOGETHER_BASE_URL/);
    assert.match(error.fix, /NODE_EXTRA_CA_CERTS/);
  });
});

describe('error forms built as Node and undici build them', () => {
  const coded = (code: string, message = code, extra: Record<string, unknown> = {}): Error =>
    Object.assign(new Error(message), { code, ...extra });
  const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });

  const rows: Array<[string, unknown, ErrorCategory, boolean]> = [
    ['EPIPE', coded('EPIPE', 'write EPIPE'), 'network', true],
    ['EHOSTUNREACH', coded('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:443', { address: '10.0.0.1', port: 443 }), 'network', true],
    ['ENETUNREACH', fetchFailed(coded('ENETUNREACH')), 'network', true],
    ['ETIMEDOUT', fetchFailed(coded('ETIMEDOUT', 'connect ETIMEDOUT 104.18.0.1:443')), 'timeout', true],
    ['EAI_AGAIN', coded('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api.together.xyz', { hostname: 'api.together.xyz' }), 'network', false],
    ['UND_ERR_CONNECT_TIMEOUT', fetchFailed(new undiciErrors.ConnectTimeoutError()), 'timeout', true],
    ['UND_ERR_SOCKET', new undiciErrors.SocketError('other side closed'), 'network', true],
    ['UND_ERR_CLOSED', fetchFailed(new undiciErrors.ClientClosedError()), 'network', true],
    ['CERT_HAS_EXPIRED', fetchFailed(coded('CERT_HAS_EXPIRED', 'certificate has expired')), 'network', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', fetchFailed(coded('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')), 'network', false],
    ['SELF_SIGNED_CERT_IN_CHAIN', fetchFailed(coded('SELF_SIGNED_CERT_IN_CHAIN')), 'network', false],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', fetchFailed(coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE')), 'network', false],
    ['ERR_TLS_CERT_ALTNAME_INVALID', fetchFailed(coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")), 'network', false],
    ['ERR_SSL_WRONG_VERSION_NUMBER', fetchFailed(coded('ERR_SSL_WRONG_VERSION_NUMBER')), 'network', false],
    ['EPROTO', coded('EPROTO'), 'network', false],
    ['TimeoutError', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout', true],
    ['AbortError', new DOMException('This operation was aborted', 'AbortError'), 'network', false],
    ['UND_ERR_ABORTED', new undiciErrors.RequestAbortedError(), 'network', false],
  ];

  for (const [code, error, category, retryable] of rows) {
    test(`${code}: ${category}, ${retryable ? '' : 'not '}retryable`, () => {
      const classified = classifyNetworkError(error);
      expect(classified, { category, retryable });
      assert.equal(classified.code, code, 'the root error code is reported');
    });
  }

  test('TLS fixes name NODE_EXTRA_CA_CERTS; a connect timeout quotes the attempted address', () => {
    assert.match(classifyNetworkError(coded('SELF_SIGNED_CERT_IN_CHAIN')).fix, /NODE_EXTRA_CA_CERTS/);
    const timeout = new undiciErrors.ConnectTimeoutError('Connect Timeout Error (attempted address: api.together.xyz:443, timeout: 10000ms)');
    assert.match(classifyNetworkError(fetchFailed(timeout)).message, /api\.together\.xyz:443/);
  });

  test('cause chains: the deepest known error wins, cycles and AggregateErrors are handled', () => {
    const deep = new Error('outer', { cause: new Error('middle', { cause: fetchFailed(coded('ECONNRESET')) }) });
    assert.equal(classifyNetworkError(deep).code, 'ECONNRESET');

    const cyclic = new Error('loop') as Error & { cause?: unknown };
    cyclic.cause = new Error('back', { cause: cyclic });
    const error = classifyNetworkError(cyclic);
    expect(error, { category: 'network', retryable: false });

    const aggregate = Object.assign(
      new AggregateError([coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:443', { address: '::1', port: 443 })], ''),
      { code: 'ECONNREFUSED' },
    );
    expect(classifyNetworkError(fetchFailed(aggregate)), { category: 'network', retryable: true, code: 'ECONNREFUSED' });
  });

  test('anything unrecognised: not retried, never throws, message quoted and redacted', () => {
    const key = 'tgp_v1_Zx9Qm3Lr7Tn2Wp5Yk8Hd4Fs6Gj1Bc0Va';
    const odd = classifyNetworkError(new Error(`weird failure with Bearer ${key}`));
    expect(odd, { category: 'network', retryable: false });
    assert.match(odd.message, /weird failure/);
    assert.ok(!JSON.stringify(odd.toJSON()).includes(key));
    for (const value of [undefined, null, 'a string', 42, {}, { code: 17 }, Symbol('s')]) {
      assert.ok(classifyNetworkError(value) instanceof TogetherError);
    }
  });

  test('a TogetherError passes through unchanged', () => {
    const already = classify({ status: 429 });
    assert.equal(classifyNetworkError(already), already);
  });
});
