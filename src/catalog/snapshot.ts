// The bundled snapshot of Together's catalog (data/together-models.json): what `GET /models` does not say
// (families, tokenizers, fine-tuning and batch support, deprecations with successors, tier gates).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SnapshotPricing {
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
}

export interface SnapshotFinetune {
  max_seq_length: number;
  max_seq_length_dpo?: number;
  lora: boolean;
  full: boolean;
}

export interface SnapshotModel {
  id: string;
  type: string;
  display_name: string;
  organization: string;
  context_length: number;
  /** Present where Together's docs give a different context length from the API's. */
  context_length_docs?: number;
  pricing: SnapshotPricing;
  family: string;
  /** Tokenizer family name (see src/tokens), or null where no shipped tokenizer fits. */
  tokenizer: string | null;
  serverless: boolean;
  batch: boolean;
  batch_discount?: number;
  finetune: SnapshotFinetune | null;
  quantization?: string;
}

export interface SnapshotDeprecation {
  id: string;
  deprecated_on: string;
  successor: string | null;
  dedicated_available: boolean;
}

export interface SnapshotTierGate {
  id: string;
  min_tier: number;
}

export interface CatalogSnapshot {
  as_of: string;
  models: SnapshotModel[];
  deprecated: SnapshotDeprecation[];
  tier_gated: SnapshotTierGate[];
}

const SNAPSHOT_PATH = fileURLToPath(new URL('../../data/together-models.json', import.meta.url));

let cached: CatalogSnapshot | undefined;

/** The bundled catalog snapshot, read once. */
export function loadSnapshot(): CatalogSnapshot {
  cached ??= JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as CatalogSnapshot;
  return cached;
}

/** The snapshot's entry for an exact model id, if any. */
export function findSnapshotModel(id: string): SnapshotModel | undefined {
  return loadSnapshot().models.find((m) => m.id === id);
}
