// `tether explain` runs its plain argument lists without commander (src/cli/explain-fast.ts): the same arguments
// through the fast path and through commander print the same stdout and stderr and exit with the same code — the
// result, the usage errors a command action raises, and a path that cannot be read. (Which arguments the fast
// path takes at all is explain-args.fuzz.test.ts's subject; test/package checks the same for the bundled build.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXPLAIN_OPTIONS } from '../../src/cli/commands/explain.js';
import { parseOptionTable } from '../../src/cli/option-table.js';

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** In one child process (for its own stdout), each argument list through both paths: [fast, commander] per list. */
const BOTH_PATHS = `
  const [explainFast, program] = await Promise.all([import(process.env.FAST_URL), import(process.env.PROGRAM_URL)]);
  const lists = JSON.parse(process.env.ARG_LISTS);
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  async function captured(run) {
    const outcome = { stdout: '', stderr: '' };
    process.stdout.write = (chunk) => ((outcome.stdout += chunk), true);
    process.stderr.write = (chunk) => ((outcome.stderr += chunk), true);
    process.exitCode = undefined;
    try {
      const handled = await run();
      if (handled === false) outcome.stderr += '(the fast path declined)';
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    }
    return { ...outcome, code: process.exitCode ?? 0 };
  }
  const results = [];
  for (const args of lists) {
    results.push([
      await captured(() => explainFast.explainWithoutCommander(args)),
      await captured(() => program.runProgram(['node', 'tether', 'explain', ...args])),
    ]);
  }
  process.exitCode = 0;
  write.out(JSON.stringify(results));
`;

function bothPaths(lists: string[][], cwd: string): Promise<Array<[Outcome, Outcome]>> {
  const env = {
    ...process.env,
    FAST_URL: pathToFileURL(join(process.cwd(), 'src/cli/explain-fast.ts')).href,
    PROGRAM_URL: pathToFileURL(join(process.cwd(), 'src/cli/program.ts')).href,
    ARG_LISTS: JSON.stringify(lists),
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', BOTH_PATHS], { cwd, env, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Array<[Outcome, Outcome]>);
    });
  });
}

describe('tether explain: the fast path and commander give the same output', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-explain-fast-'));
    writeFileSync(join(dir, 'body.json'), '{"error":{"message":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096","type":"invalid_request_error"}}');
    writeFileSync(join(dir, 'saved.txt'), 'HTTP/1.1 429 Too Many Requests\r\nretry-after: 3\r\n\r\n{"error":{"message":"slow down"}}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('results, usage errors and unreadable paths: same stdout, stderr and exit code', async () => {
    const lists = [
      ['--status', '401', '--json'],
      ['--status=429', '-H', 'retry-after: 2', '--header', 'x-request-id: req-1', '--body', '{"error":{"message":"Rate limit","type":"dynamic_request_limited"}}'],
      ['--status', '400', '--body', '@body.json', '--model', 'meta-llama/Llama-3-8b', '--json'],
      ['--response', 'saved.txt'],
      ['--network', 'ECONNRESET', '--key-source', 'env'],
      ['--status', '401', '--key-source', 'env'],
      ['--status', 'abc'],
      ['--status', '500', '-H', 'no colon'],
      ['--status', '401', '--network', 'ECONNRESET'],
      ['--response', 'missing.txt'],
      [],
    ];
    for (const args of lists) assert.notEqual(parseOptionTable(EXPLAIN_OPTIONS, args), undefined, `the fast path takes ${JSON.stringify(args)}`);
    const results = await bothPaths(lists, dir);
    const codes = results.map(([fast]) => fast.code);
    assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2], 'results exit 0, usage errors 2');
    results.forEach(([fast, viaCommander], i) => {
      assert.deepEqual(fast, viaCommander, `tether explain ${JSON.stringify(lists[i])}`);
    });
    assert.match((results[0] as [Outcome, Outcome])[0].stdout, /"category": "auth"/);
    assert.match((results[6] as [Outcome, Outcome])[0].stderr, /^tether: --status must be a 3-digit HTTP status code/);
    assert.match((results[9] as [Outcome, Outcome])[0].stderr, /^tether: .*missing\.txt/);
  });
});
