import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinPath, parseBaseUrl, resolveBaseUrl, formatQuery, DEFAULT_BASE_URL, pathTo } from '../../src/api/index.js';

test('resolveBaseUrl: explicit, then TOGETHER_BASE_URL, then the default', () => {
  assert.equal(resolveBaseUrl('http://a/v1', { TOGETHER_BASE_URL: 'http://b/v1' }), 'http://a/v1');
  assert.equal(resolveBaseUrl(undefined, { TOGETHER_BASE_URL: ' http://b/v1 ' }), 'http://b/v1');
  assert.equal(resolveBaseUrl('  ', { TOGETHER_BASE_URL: '' }), DEFAULT_BASE_URL);
});

test('parseBaseUrl splits origin and path and drops trailing slashes', () => {
  assert.deepEqual(parseBaseUrl('https://api.together.xyz/v1/'), {
    origin: 'https://api.together.xyz',
    basePath: '/v1',
    href: 'https://api.together.xyz/v1',
  });
  assert.deepEqual(parseBaseUrl('http://127.0.0.1:8080'), { origin: 'http://127.0.0.1:8080', basePath: '', href: 'http://127.0.0.1:8080' });
  assert.throws(() => parseBaseUrl('https://h/v1?x=1'), /must not contain a query string/);
});

test('joinPath puts exactly one slash between base and path', () => {
  for (const [base, path] of [
    ['/v1', '/models'],
    ['/v1/', 'models'],
    ['/v1//', '//models'],
  ] as const) {
    assert.equal(joinPath(base, path), '/v1/models');
  }
  assert.equal(joinPath('', 'models'), '/models');
});

test('formatQuery skips empty values and encodes the rest; ids in paths are encoded', () => {
  assert.equal(formatQuery({ a: 1, b: undefined, c: null, d: 'x y&z' }), '?a=1&d=x+y%26z');
  assert.equal(formatQuery({}), '');
  assert.equal(formatQuery(undefined), '');
  assert.equal(pathTo.fineTune('ft-1/../x'), '/fine-tunes/ft-1%2F..%2Fx');
});
