// Issue 15 (CLI inputs that are devices or FIFOs): `tether run /dev/zero` read the device whole into memory. The
// input must be a regular file of at most MAX_RUN_INPUT_BYTES, refused before any read otherwise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError, readInputFile } from '../../src/batch/run-file.js';

describe('readInputFile', () => {
  test('a device or a directory is refused at once as not a regular file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-run-input-'));
    try {
      for (const path of ['/dev/zero', dir]) {
        const started = performance.now();
        await assert.rejects(readInputFile(path), (error: unknown) => {
          assert.ok(error instanceof InputFileError);
          assert.match(error.message, /is not a regular file; give the path of a JSONL file/);
          return true;
        });
        assert.ok(performance.now() - started < 1_000);
      }
      const file = join(dir, 'in.jsonl');
      writeFileSync(file, '{"custom_id":"1","body":{}}\n');
      assert.equal(await readInputFile(file), '{"custom_id":"1","body":{}}\n');
      await assert.rejects(readInputFile(join(dir, 'missing.jsonl')), /file not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
