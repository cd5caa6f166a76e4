// The live `/models` answer the catalog tests use: the snapshot's models in Together's ModelInfo shape.
import type { ModelInfo } from '../../src/api/index.js';
import { loadSnapshot } from '../../src/catalog/index.js';

export function liveListFromSnapshot(): ModelInfo[] {
  return loadSnapshot().models.map((m) => ({
    id: m.id,
    object: 'model',
    created: 1730937600,
    type: m.type,
    display_name: m.display_name,
    organization: m.organization,
    context_length: m.context_length,
    pricing: { hourly: 0, input: m.pricing.input, output: m.pricing.output, base: 0, finetune: 0 },
  }));
}
