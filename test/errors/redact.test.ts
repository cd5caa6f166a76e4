// Issue 15, failure 3: one scrubber, in the errors module, removes every form of every known key — raw, URL-encoded
// (even byte by byte), JSON-escaped (\uXXXX, \/), hex, base64 and base64url at any alignment — from every text tether
// lets out; classify uses it on upstream bodies before quoting them. diagnostics uses the same function.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, classify, createScrubber, redactSecrets } from '../../src/errors/index.js';
import * as diagnostics from '../../src/diagnostics/index.js';
import { leakedForms, secretForms } from '../support/hostile-upstream.js';

const KEY = 'tgp_v1_REDACT+test/0123456789_abcXYZ';
const OTHER = 'tgp_v1_OTHER+key/9876543210_zyxWVU';
const FORMS = secretForms(KEY);

describe('the scrubber', () => {
  test('diagnostics uses the errors module\'s scrubber (one implementation)', () => {
    assert.equal(diagnostics.createScrubber, createScrubber);
  });

  for (const [name, form] of Object.entries(FORMS)) {
    test(`removes the ${name} form, mid-text and inside JSON`, () => {
      const scrubber = createScrubber([KEY]);
      for (const text of [`before ${form} after`, `{"message":"x${form}y","n":1}`, form]) {
        assert.ok(scrubber.contains(text), `${name} is seen in ${text}`);
        const out = scrubber.text(text);
        assert.deepEqual(leakedForms(out, KEY), [], `${name}: ${out}`);
        assert.ok(out.includes(REDACTED));
        assert.deepEqual(leakedForms(scrubber.exact(text), KEY), [], `exact ${name}`);
      }
      // On JSON text, exact() keeps it JSON.
      JSON.parse(scrubber.exact(`{"message":"x${form}y"}`));
    });
  }

  test('exact() hands back the same string when no form is there, and leaves key-shaped text of others alone', () => {
    const scrubber = createScrubber([KEY]);
    const text = '{"content":"an example key: tgp_v1_NotOurs1234567890"}';
    assert.equal(scrubber.exact(text), text);
    assert.equal(scrubber.contains(text), false);
    assert.match(scrubber.text(text), /\[redacted\]/, 'text() also removes anything shaped like a key');
  });

  test('every secret given is removed, the longest first; short values are not secrets', () => {
    const scrubber = createScrubber([KEY, OTHER, 'short', undefined]);
    assert.deepEqual(scrubber.secrets, [KEY, OTHER]);
    const out = scrubber.text(`${secretForms(OTHER).base64Offset2} and ${FORMS.hex} and short`);
    assert.deepEqual(leakedForms(out, OTHER), []);
    assert.deepEqual(leakedForms(out, KEY), []);
    assert.match(out, /short$/);
  });

  test('redactSecrets removes every form of the secrets it is given (base64 was kept before)', () => {
    const out = redactSecrets(`echo ${FORMS.base64Offset1} ${FORMS.base64url}`, [KEY]);
    assert.deepEqual(leakedForms(out, KEY), [], out);
  });
});

describe('classify with the keys in use', () => {
  test('an error body echoing the key in base64 (offsets 0-2), hex or \\u escapes gives a TogetherError without it', () => {
    for (const form of ['base64', 'base64Offset1', 'base64Offset2', 'base64url', 'hex', 'jsonUnicode', 'urlAll', 'jsonSlash'] as const) {
      const body = `{"id":"${FORMS[form]}","error":{"message":"Invalid key ${FORMS[form]}","type":"${FORMS[form]}","param":"${FORMS[form]}","code":"invalid_api_key"}}`;
      const error = classify({ status: 401, headers: { 'x-request-id': FORMS.base64Offset2! }, body, secrets: [KEY] });
      const text = `${error.message} ${JSON.stringify(error.toJSON())}`;
      assert.deepEqual(leakedForms(text, KEY), [], `${form}: ${text.slice(0, 300)}`);
      assert.equal(error.category, 'auth');
    }
  });

  test('a key at the edge of the quoted part is removed before quoting, not cut in half', () => {
    const body = JSON.stringify({ error: { message: `${'word '.repeat(118)}${KEY} and more` } });
    const error = classify({ status: 400, body, secrets: [KEY] });
    assert.ok(!error.message.includes(KEY.slice(0, 20)), error.message.slice(-80));
  });
});
