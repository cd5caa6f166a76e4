// Per-key credit balances in USD, charged usage × the model's per-1M-token prices.
import type { EmulatorKey } from './config.js';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** USD cost of a usage at per-1M-token prices. */
export function usageCost(usage: Usage, pricing: { input: number; output: number }): number {
  return (usage.prompt_tokens * pricing.input + usage.completion_tokens * pricing.output) / 1_000_000;
}

export class CreditLedger {
  private readonly balances = new Map<string, number>();

  constructor(private readonly keys: readonly EmulatorKey[]) {
    this.restore();
  }

  /** Back to every key's configured balance. */
  restore(): void {
    for (const k of this.keys) this.balances.set(k.key, k.creditsUsd);
  }

  balance(apiKey: string): number {
    return this.balances.get(apiKey) ?? 0;
  }

  /** A key with nothing left (≤ 0) gets 402 on every inference call, free models included. */
  exhausted(apiKey: string): boolean {
    return this.balance(apiKey) <= 0;
  }

  set(apiKey: string, usd: number): void {
    this.balances.set(apiKey, usd);
  }

  charge(apiKey: string, usd: number): void {
    this.balances.set(apiKey, this.balance(apiKey) - usd);
  }
}
