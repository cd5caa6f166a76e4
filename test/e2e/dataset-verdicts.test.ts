// The validator and the emulator's server-side check give the same verdict on every dataset test file: each .jsonl
// and .parquet file under test/fixtures, and every file under test/fixtures/datasets (whatever its name), goes
// through `validateFile` and through an upload to the emulator (POST /files/upload, purpose fine-tune); the
// emulator's processing_status is COMPLETED exactly when the validator says valid, INVALID_FORMAT otherwise, and
// its validation_report names the validator's first error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { validateFile } from '../../src/datasets/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import { KEYS, testKeys } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const DATASET = /\.(jsonl|parquet)$/;

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return DATASET.test(name) || relative(FIXTURES, path).startsWith('datasets/') ? [path] : [];
    });
}

async function upload(emu: Emulator, path: string): Promise<{ processing_status: string; validation_report?: { valid: boolean; error?: string } }> {
  const name = basename(path);
  const body = new FormData();
  body.set('purpose', 'fine-tune');
  body.set('file_name', name);
  // A name without a known type (.json) still needs a file_type for the upload form; the check goes by the name.
  if (!/\.(jsonl|parquet|csv)$/.test(name)) body.set('file_type', 'jsonl');
  body.set('file', new Blob([readFileSync(path)]), name);
  const response = await fetch(`${emu.baseUrl}/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.main}` }, body });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text) as { processing_status: string; validation_report?: { valid: boolean; error?: string } };
}

describe('validator and emulator agree on every dataset test file', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ port: 0, seed: 7, keys: testKeys() });
  });
  after(() => emu.close());

  const files = walk(FIXTURES);

  test('the walk finds the dataset fixtures, valid and invalid', () => {
    assert.ok(files.length >= 40, `${files.length} files`);
    assert.ok(files.some((f) => f.endsWith('.parquet')));
  });

  for (const path of files) {
    test(relative(FIXTURES, path), async () => {
      const report = await validateFile(path, { threads: 0 });
      const file = await upload(emu, path);
      assert.equal(file.processing_status, report.valid ? 'COMPLETED' : 'INVALID_FORMAT', JSON.stringify({ validator: report.errors.slice(0, 2), emulator: file.validation_report }));
      assert.equal(file.validation_report?.valid, report.valid);
      if (!report.valid && report.errors[0]) assert.match(file.validation_report?.error ?? '', new RegExp(`\\(rule ${report.errors[0].rule.replace('.', '\\.')}\\)$`));
    });
  }
});
