// Issue 15 (CLI inputs that are devices or FIFOs): `tether emulator --config /dev/zero` read the device until the
// process died of std::bad_alloc (18 s, 2 GB). A config file is read up to MAX_CONFIG_BYTES, then refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError, readConfigFile } from '../../src/config-file/index.js';
import { MAX_CONFIG_BYTES } from '../../src/config-file/read.js';

describe('readConfigFile reads a bounded amount', () => {
  test('/dev/zero is refused at once, naming the bound', () => {
    const started = performance.now();
    assert.throws(() => readConfigFile('/dev/zero', 'gateway config'), (error: unknown) => {
      assert.ok(error instanceof ConfigFileError);
      assert.match(error.message, new RegExp(`gateway config /dev/zero is larger than ${MAX_CONFIG_BYTES} bytes`));
      return true;
    });
    assert.ok(performance.now() - started < 2_000);
  });

  test('a regular file past the bound is refused; one under it is read; a directory is named as unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-config-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\nport: 1\n`);
      assert.throws(() => readConfigFile(big), /is larger than/);
      const small = join(dir, 'ok.yaml');
      writeFileSync(small, 'port: 8787\n');
      assert.deepEqual(readConfigFile(small).data, { port: 8787 });
      assert.throws(() => readConfigFile(dir), /Cannot read the config file .* \(EISDIR\)/);
      assert.throws(() => readConfigFile(join(dir, 'missing.yaml')), /\(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
