import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countChatTokens } from '../../src/tokens/index.js';

const oracle = JSON.parse(readFileSync(new URL('../fixtures/token-counts.json', import.meta.url), 'utf8')) as {
  families: Record<string, { chat: { messages: Array<{ role: string; content: string }> } | null }>;
};

function tether(args: string[], input?: string) {
  return spawnSync(process.execPath, ['bin/tether.js', 'tokens', ...args], { encoding: 'utf8', input: input ?? '', timeout: 60_000 });
}

describe('tether tokens', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-tokens-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('counts stdin text for a model and prints tokens, family and exactness', () => {
    const run = tether(['--model', 'meta-llama/Meta-Llama-3-8B-Instruct'], 'Hello, world!');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^tokens: 4$/m);
    assert.match(run.stdout, /^family: llama3$/m);
    assert.match(run.stdout, /^count: +exact$/m);
  });

  test('counts a chat file as a chat with the generation prompt (--json)', async () => {
    const messages = oracle.families.llama3_1!.chat!.messages;
    const file = join(dir, 'chat.json');
    writeFileSync(file, JSON.stringify({ model: 'x', messages }));
    const run = tether(['--model', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', file, '--json']);
    assert.equal(run.status, 0, run.stderr);
    const expected = await countChatTokens('llama3_1', messages);
    assert.deepEqual(JSON.parse(run.stdout), {
      model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      family: 'llama3_1',
      exact: true,
      tokens: expected.tokens,
      kind: 'chat',
    });
    assert.equal(expected.tokens, 83 + 4); // the reference chat plus the assistant header
  });

  test('an unknown model gets an estimate, still exit 0', () => {
    const run = tether(['--model', 'acme/brand-new', '-', '--json'], 'Hello');
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual([out.family, out.exact, out.tokens, out.kind], [null, false, 6, 'text']);
    assert.match(String(out.note), /no tokenizer family is known/);
  });

  test('usage errors exit 2: missing --model, unreadable file', () => {
    const noModel = tether([], 'text');
    assert.equal(noModel.status, 2);
    assert.match(noModel.stderr, /--model/);
    const missing = tether(['--model', 'llama3', join(dir, 'nope.txt')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read .*nope\.txt \(ENOENT\)/);
  });
});
