// Config files for every front door: JSON or YAML, and errors that say where without quoting what (a key may be there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError, parseConfigText, readConfigFile } from '../../src/config-file/index.js';

const SECRET = 'tgp_v1_readConfigSecret00112233';

test('.json is JSON; any other name is YAML, which reads JSON too', () => {
  assert.deepEqual(parseConfigText('{"port": 1}', 'g.json'), { path: 'g.json', format: 'json', data: { port: 1 } });
  assert.deepEqual(parseConfigText('port: 1\n', 'g.yaml').data, { port: 1 });
  assert.deepEqual(parseConfigText('{"port": 1}', 'g.conf'), { path: 'g.conf', format: 'yaml', data: { port: 1 } });
});

test('a syntax error names the file, the place and the label, and never quotes the file', () => {
  const cases = [
    ['bad.json', `{\n  "apiKey": "${SECRET}" "x"\n}\n`, /^The gateway config bad\.json is not valid JSON at line 2, column \d+; fix the syntax/],
    ['bad.yaml', `upstream:\n  apiKey: ${SECRET}: x\n`, /^The gateway config bad\.yaml is not valid YAML at line 2, column \d+ \([A-Z_]+\); fix the syntax\.$/],
    ['quote.yaml', `upstream:\n  apiKey: "${SECRET}\nclients: [\n`, /^The gateway config quote\.yaml is not valid YAML at line \d+, column \d+/],
  ] as const;
  for (const [name, text, expected] of cases) {
    assert.throws(
      () => parseConfigText(text, name, 'gateway config'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigFileError);
        assert.match(error.message, expected);
        assert.ok(!error.message.includes(SECRET), error.message);
        assert.ok(!error.message.includes('\n'), 'one line, no excerpt of the file');
        return true;
      },
    );
  }
});

test('a file that cannot be read says why and where to look', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-config-file-'));
  try {
    assert.throws(() => readConfigFile(join(dir, 'nope.yaml'), 'emulator config'), /Cannot read the emulator config .*nope\.yaml \(ENOENT\); check the path given to --config\.$/);
    assert.throws(() => readConfigFile(dir), /\(EISDIR\)/);
    const path = join(dir, 'ok.yaml');
    writeFileSync(path, 'seed: 3\n');
    assert.deepEqual(readConfigFile(path).data, { seed: 3 });
    if (process.getuid?.() !== 0) {
      chmodSync(path, 0);
      assert.throws(() => readConfigFile(path), /\(EACCES\)/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty, blank, comment-only or null file is never a config (issue 15, failure 1)', () => {
  for (const [name, text] of [
    ['e.yaml', ''],
    ['b.yaml', ' \n\t\n'],
    ['c.yaml', '# only a comment\n'],
    ['n.yaml', 'null\n'],
    ['e.json', ''],
    ['n.json', ' null '],
  ] as const) {
    assert.throws(() => parseConfigText(text, name, 'emulator config'), (error: unknown) => {
      assert.ok(error instanceof ConfigFileError, name);
      assert.match(error.message, /^The emulator config \S+ (is empty|holds no settings \(only comments, or null\)); a config file must hold a mapping/);
      return true;
    });
  }
});
