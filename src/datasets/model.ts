// What `--model` needs from the catalog snapshot: the fine-tuning context lengths and the tokenizer.
import { findSnapshotModel, loadSnapshot, suggest } from '../catalog/index.js';
import { capabilitiesOf } from './capabilities.js';
import type { ModelCapabilities } from './capabilities.js';
import { DatasetInputError } from './errors.js';

export interface FineTuneModel {
  id: string;
  /** Longest SFT example, in tokens. */
  maxSeqLength: number;
  /** Longest preference (DPO) example, in tokens. */
  maxSeqLengthDpo: number;
  /** What the token counter is given: the snapshot's tokenizer family, else the model id. */
  tokenizer: string;
  /** Whether Together trains it on reasoning and tool data, and its vocabulary size. */
  capabilities: ModelCapabilities;
}

/** The fine-tunable ids closest to `id` (the catalog's "did you mean"). */
export function closestFineTuneModels(id: string, limit = 3): string[] {
  const fineTunable = loadSnapshot()
    .models.filter((m) => m.finetune !== null)
    .map((m) => m.id);
  return suggest(id, fineTunable, limit);
}

/** The fine-tuning limits of a model id, or a DatasetInputError naming the closest fine-tunable ids. */
export function resolveFineTuneModel(id: string): FineTuneModel {
  const model = findSnapshotModel(id);
  const suggestions = closestFineTuneModels(id);
  const hint = suggestions.length > 0 ? ` Fine-tunable models close to it: ${suggestions.join(', ')}.` : '';
  if (model === undefined) {
    throw new DatasetInputError(`unknown model "${id}" (not in tether's catalog snapshot; ids are case-sensitive).${hint}`);
  }
  if (model.finetune === null) {
    throw new DatasetInputError(`model "${id}" cannot be fine-tuned on Together (per the catalog snapshot of ${loadSnapshot().as_of}).${hint}`);
  }
  return {
    id: model.id,
    maxSeqLength: model.finetune.max_seq_length,
    maxSeqLengthDpo: model.finetune.max_seq_length_dpo ?? model.finetune.max_seq_length,
    tokenizer: model.tokenizer ?? model.id,
    capabilities: capabilitiesOf(model.id, model.tokenizer ?? undefined),
  };
}
