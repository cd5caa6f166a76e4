// DESIGN.md's module rules are enforced by ESLint (MODULE_IMPORTS in eslint.config.js): a forbidden import fails
// lint, and so `npm test`. Run through ESLint's Node API on a fixture, linted as if it sat in the module.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(code: string, filePath: string): Promise<{ ruleId: string | null; line: number; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax');
}

describe('module rules (eslint)', () => {
  const fixture = readFileSync('test/fixtures/lint/gateway-imports-batch.ts.txt', 'utf8');

  test('the gateway importing batch, or the emulator with import(), fails lint; its own files do not', async () => {
    const found = await problems(fixture, 'src/gateway/ui/fixture.ts');
    assert.deepEqual(
      found.map((p) => [p.ruleId, p.line]),
      [
        ['no-restricted-imports', 3],
        ['no-restricted-syntax', 7],
      ],
    );
    assert.match(found[0]!.message, /src\/gateway\/ may import only/);
  });

  test('the same imports are allowed where DESIGN.md allows them (the CLI)', async () => {
    assert.deepEqual(await problems(fixture.replace("'../server.js'", "'../gateway/index.js'"), 'src/cli/fixture.ts'), []);
  });

  test('errors imports no other module; policy may not reach up to the pipeline', async () => {
    assert.equal((await problems("import { PATHS } from '../api/index.js';\nexport const x = PATHS;\n", 'src/errors/fixture.ts')).length, 1);
    assert.equal((await problems("import { createPipeline } from '../pipeline/index.js';\nexport const x = createPipeline;\n", 'src/policy/fixture.ts')).length, 1);
    assert.equal((await problems("import { classify } from '../errors/index.js';\nexport const x = classify;\n", 'src/policy/fixture.ts')).length, 0);
  });

  test('`new TogetherError` outside src/errors/ fails lint (a factory in errors/ builds it); inside errors/ it does not', async () => {
    const code = "import { TogetherError } from '../errors/index.js';\nexport const e = new TogetherError({ category: 'server', message: 'm', cause: 'c', fix: 'f', retryable: false });\n";
    for (const filePath of ['src/batch/fixture.ts', 'src/policy/fixture.ts', 'src/pipeline/fixture.ts']) {
      const found = await problems(code, filePath);
      assert.deepEqual(found.map((p) => [p.ruleId, p.line]), [['no-restricted-syntax', 2]], filePath);
      assert.match(found[0]!.message, /factory in src\/errors\//);
    }
    const inErrors = "import { TogetherError } from './together-error.js';\nexport const e = new TogetherError({ category: 'server', message: 'm', cause: 'c', fix: 'f', retryable: false });\n";
    assert.deepEqual(await problems(inErrors, 'src/errors/fixture.ts'), []);
    assert.equal((await problems(code.replace("'../errors/index.js'", "'./errors/index.js'"), 'src/fixture.ts')).length, 1);
  });
});
