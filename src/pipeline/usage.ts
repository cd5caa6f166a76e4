// What a finished request used and cost: the upstream `usage` block × the catalog's price per million tokens.
import type { Usage } from '../api/index.js';
import type { UsageRecord } from './contract.js';

/** USD per 1M input and output tokens, as the catalog gives them. */
export interface Pricing {
  input: number;
  output: number;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The `usage` of a response body or stream chunk, when it has a well-formed one. */
export function usageOf(body: unknown): Usage | undefined {
  const usage = (body as { usage?: unknown } | null)?.usage;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const prompt = count((usage as Record<string, unknown>)['prompt_tokens']);
  const completion = count((usage as Record<string, unknown>)['completion_tokens']) ?? 0;
  if (prompt === undefined) return undefined;
  const total = count((usage as Record<string, unknown>)['total_tokens']) ?? prompt + completion;
  return { ...(usage as Usage), prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}

/** usage × pricing, in USD; undefined when either is unknown. */
export function costUsd(usage: Usage | undefined, pricing: Pricing | undefined): number | undefined {
  if (usage === undefined || pricing === undefined) return undefined;
  return (usage.prompt_tokens * pricing.input + usage.completion_tokens * pricing.output) / 1_000_000;
}

export function usageRecord(model: string, usage: Usage | undefined, pricing: Pricing | undefined): UsageRecord {
  const record: UsageRecord = { model };
  if (usage !== undefined) record.usage = usage;
  const cost = costUsd(usage, pricing);
  if (cost !== undefined) record.costUsd = cost;
  return record;
}
