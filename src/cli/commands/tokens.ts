// `tether tokens --model ID [FILE|-]`: count a text or a chat with the model's own tokenizer.
import type { Command } from 'commander';
import { countChatTokens, countTextTokens, parseChatInput, type TokenCount } from '../../tokens/index.js';
import { EXIT_OK, UsageError } from '../exit-codes.js';
import { MAX_TOKENS_INPUT_BYTES, readInput } from '../read-input.js';
import { printJson, printOut } from '../output.js';

interface TokensOptions {
  model: string;
  json?: boolean;
}

async function readText(file: string | undefined): Promise<string> {
  if (file === undefined && process.stdin.isTTY) {
    throw new UsageError('no input: give a FILE, or pipe the text on stdin (e.g. tether tokens --model ID < prompt.txt)');
  }
  const bytes = await readInput(file ?? '-', MAX_TOKENS_INPUT_BYTES, 'the input', 'pass an existing file, or - for stdin; split a larger text');
  return bytes.toString('utf8');
}

function humanReport(model: string, kind: 'text' | 'chat', count: TokenCount): string {
  const lines = [
    `tokens: ${count.tokens}`,
    `model:  ${model}`,
    `family: ${count.family ?? 'none (estimate)'}`,
    `kind:   ${kind === 'chat' ? 'chat (template rendered, with the generation prompt)' : 'text'}`,
    `count:  ${count.exact ? 'exact' : 'estimate'}`,
  ];
  if (count.note) lines.push(`note:   ${count.note}`);
  return `${lines.join('\n')}\n`;
}

export function registerTokens(program: Command): void {
  program
    .command('tokens')
    .description("Count the tokens of a text or a chat (JSON {messages:[...]} or [...]) with the model's tokenizer")
    .argument('[file]', 'file to read; - or nothing reads stdin')
    .requiredOption('--model <id>', 'Together model id, or a tokenizer family (llama3, llama3_1, qwen2_5, qwen3, deepseek_v3, gemma3, gptoss, mistral_v1)')
    .option('--json', 'print {model, family, exact, tokens, kind} as JSON')
    .action(async (file: string | undefined, options: TokensOptions) => {
      const model = options.model.trim();
      if (model === '') throw new UsageError('--model must not be empty (e.g. --model meta-llama/Llama-3.3-70B-Instruct-Turbo)');
      const input = await readText(file);
      const chat = parseChatInput(input);
      const kind = chat ? 'chat' : 'text';
      const count = chat
        ? await countChatTokens(model, chat.messages, chat.tools !== undefined ? { tools: chat.tools } : {})
        : await countTextTokens(model, input);
      if (options.json) {
        const out = { model, family: count.family ?? null, exact: count.exact, tokens: count.tokens, kind, ...(count.note ? { note: count.note } : {}) };
        printJson(out);
      } else {
        printOut(humanReport(model, kind, count));
      }
      process.exitCode = EXIT_OK;
    });
}
