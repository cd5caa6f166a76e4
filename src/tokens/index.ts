// Public API of the tokens module. The implementation behind these signatures is owned by src/tokens/*.
// (Initial version: conservative estimate only; exact per-family counting replaces it.)

export type TokenizerFamily =
  | 'llama3'
  | 'llama3_1'
  | 'qwen2_5'
  | 'qwen3'
  | 'deepseek_v3'
  | 'gemma3'
  | 'gptoss'
  | 'mistral_v1';

export interface ChatMessageLike {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: unknown;
  tool_call_id?: string;
}

export interface TokenCount {
  tokens: number;
  /** true when counted with the model family's real tokenizer; false for the conservative estimate. */
  exact: boolean;
  /** The tokenizer family used, or undefined for the estimate. */
  family?: TokenizerFamily;
}

/** Conservative upper bound: every UTF-8 byte could be one token. */
function estimate(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Count the tokens of plain text (no special tokens added) for a model id or a family name. */
export async function countTextTokens(_modelOrFamily: string, text: string): Promise<TokenCount> {
  return { tokens: estimate(text), exact: false };
}

/** Count a chat's prompt tokens including the family's chat-template overhead (with the generation prompt). */
export async function countChatTokens(_modelOrFamily: string, messages: readonly ChatMessageLike[]): Promise<TokenCount> {
  const text = messages.map((m) => `${m.role}\n${typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')}`).join('\n');
  return { tokens: estimate(text) + 8 * messages.length + 8, exact: false };
}
