// Counting: the family's real tokenizer when it is available, else a conservative estimate (exact: false).
import { CHAT_ESTIMATE_PREAMBLE_TOKENS, upperBoundTokens } from './bound.js';
import { renderChatTemplate, rendersTools } from './chat.js';
import { resolveFamily, type TokenizerFamily } from './families.js';
import { normalizeMessage, textWithToolCalls, type ChatMessageLike, type NormalizedMessage } from './messages.js';
import { MissingPackageError, type TokenizerRegistry } from './registry.js';

export interface TokenCount {
  tokens: number;
  /** true when counted with the model family's real tokenizer; false for the conservative estimate. */
  exact: boolean;
  /** The tokenizer family used, or undefined for the estimate. */
  family?: TokenizerFamily;
  /** Why the count is not exact (unknown model, missing package, template error, parts not counted). */
  note?: string;
}

export interface ChatCountOptions {
  /** Append the assistant header a server adds before generating (default true: the prompt a server counts). */
  addGenerationPrompt?: boolean;
  /** OpenAI-style tool definitions sent with the request. */
  tools?: unknown;
}

function unknownModelNote(modelOrFamily: string): string {
  return `no tokenizer family is known for model "${modelOrFamily}": counted a conservative estimate (UTF-8 bytes)`;
}

/**
 * A chat estimate that does not depend on any tokenizer or template: every message rendered ChatML-style
 * (role, content, tool-call JSON, delimiters), the tool definitions' JSON, bounded by upperBoundTokens, plus
 * room for the largest fixed preamble a shipped template adds. Bytes are ~3–4x the real count for prose, so
 * this is far above any real count; for an unknown tokenizer it is a heuristic, not a proof.
 */
export function estimateChatTokens(messages: readonly NormalizedMessage[], tools?: unknown): number {
  let text = messages.map((m) => `<|im_start|>${m.role}\n${textWithToolCalls(m)}<|im_end|>\n`).join('');
  if (tools !== undefined) text += JSON.stringify(tools) ?? '';
  return upperBoundTokens(text) + CHAT_ESTIMATE_PREAMBLE_TOKENS;
}

/**
 * A tokenizer that loaded once can still fail a count: its thread died, or loading it again there failed (its
 * files gone). A count is never worth failing a request for, so it falls back to the bound, as for a missing package.
 */
function countFailedNote(family: TokenizerFamily, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  return `tokenizer ${family} failed to count (${detail}): counted a conservative estimate`;
}

export interface Counter {
  countTextTokens(modelOrFamily: string, text: string): Promise<TokenCount>;
  countChatTokens(modelOrFamily: string, messages: readonly ChatMessageLike[], options?: ChatCountOptions): Promise<TokenCount>;
  renderChat(modelOrFamily: string, messages: readonly ChatMessageLike[], options?: ChatCountOptions): string;
}

export function createCounter(registry: TokenizerRegistry): Counter {
  const packaged = (family: TokenizerFamily) => registry.packagedTemplate(family);

  function render(family: TokenizerFamily, messages: readonly NormalizedMessage[], options: ChatCountOptions): string {
    const tools = Array.isArray(options.tools) ? options.tools : undefined;
    return renderChatTemplate(family, messages, { addGenerationPrompt: options.addGenerationPrompt ?? true, ...(tools ? { tools } : {}) }, packaged);
  }

  async function countTextTokens(modelOrFamily: string, text: string): Promise<TokenCount> {
    const family = resolveFamily(modelOrFamily);
    if (!family) return { tokens: upperBoundTokens(text), exact: false, note: unknownModelNote(modelOrFamily) };
    const tokenizer = await registry.load(family);
    if (!tokenizer.countTokens) return { tokens: upperBoundTokens(text), exact: false, note: tokenizer.reason };
    try {
      return { tokens: await tokenizer.countTokens(text), exact: true, family };
    } catch (error) {
      return { tokens: upperBoundTokens(text), exact: false, note: countFailedNote(family, error) };
    }
  }

  async function countChatTokens(
    modelOrFamily: string,
    messages: readonly ChatMessageLike[],
    options: ChatCountOptions = {},
  ): Promise<TokenCount> {
    const normalized = messages.map(normalizeMessage);
    const family = resolveFamily(modelOrFamily);
    if (!family) return { tokens: estimateChatTokens(normalized, options.tools), exact: false, note: unknownModelNote(modelOrFamily) };

    // Render first: a chat the template rejects needs no tokenizer load to be estimated.
    let rendered: string;
    try {
      rendered = render(family, normalized, options);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const note =
        error instanceof MissingPackageError
          ? `tokenizer ${family} unavailable: ${detail}`
          : `the ${family} chat template rejected this chat (${detail}): counted a conservative estimate`;
      return { tokens: estimateChatTokens(normalized, options.tools), exact: false, note };
    }
    const tokenizer = await registry.load(family);

    const notes: string[] = [];
    // Tool definitions the template does not render (or that are not an array) are counted as their JSON.
    const toolsApart = options.tools !== undefined && !(Array.isArray(options.tools) && rendersTools(family));
    const toolsJson = toolsApart ? (JSON.stringify(options.tools) ?? '') : '';
    if (toolsApart) notes.push(`the ${family} template does not render tool definitions: counted their JSON instead`);
    const nonText = normalized.reduce((sum, m) => sum + m.nonTextParts, 0);
    if (nonText > 0) notes.push(`${nonText} non-text content part(s) (images, audio, files) not counted`);

    if (!tokenizer.countTokens) {
      // The rendered text's bytes bound its tokens for every shipped family (see bound.ts).
      return { tokens: upperBoundTokens(rendered) + upperBoundTokens(toolsJson), exact: false, note: tokenizer.reason };
    }
    let tokens: number;
    try {
      tokens = (await tokenizer.countTokens(rendered)) + (toolsJson ? await tokenizer.countTokens(toolsJson) : 0);
    } catch (error) {
      return { tokens: upperBoundTokens(rendered) + upperBoundTokens(toolsJson), exact: false, note: countFailedNote(family, error) };
    }
    return notes.length === 0 ? { tokens, exact: true, family } : { tokens, exact: false, family, note: notes.join('; ') };
  }

  function renderChat(modelOrFamily: string, messages: readonly ChatMessageLike[], options: ChatCountOptions = {}): string {
    const family = resolveFamily(modelOrFamily);
    if (!family) throw new Error(`no tokenizer family is known for model "${modelOrFamily}", so there is no chat template to render`);
    return render(family, messages.map(normalizeMessage), options);
  }

  return { countTextTokens, countChatTokens, renderChat };
}
