// The emulator's model registry, built from the catalog snapshot plus the config's extra and excluded ids:
// what GET /v1/models lists, and how an inference call on a given id is answered.
import { loadSnapshot } from '../catalog/index.js';
import type { CatalogSnapshot } from '../catalog/index.js';
import type { EmulatorExtraModel } from './config.js';

export type ModelType = 'chat' | 'language' | 'code' | 'image' | 'embedding' | 'moderation' | 'rerank' | 'audio';

export interface EmulatorModel {
  id: string;
  type: ModelType;
  display_name: string;
  organization: string;
  /** Undefined where the snapshot does not know it (deprecated ids kept for dedicated endpoints). */
  context_length: number | undefined;
  pricing: { input: number; output: number };
  /** false: listed, but inference answers 400 model_not_available. */
  serverless: boolean;
  minTier: number;
  /** Embedding models: vector length. */
  dimensions: number;
  /** Reasoning models answer with a `reasoning` field: always, or only when the request enables it. */
  reasoning: ReasoningMode;
}

export type ReasoningMode = 'always' | 'optional' | 'never';

/**
 * Which snapshot models think before answering (Together's model pages): R1 and its distills, QwQ, gpt-oss and
 * the Qwen3 "Thinking" models always do; the hybrid ones (DeepSeek V3.1, GLM 4.5, Qwen3 base and fp8-tput)
 * only when `reasoning: {enabled: true}` asks them to.
 */
export function reasoningMode(id: string): ReasoningMode {
  if (/deepseek-r1|\/qwq-|gpt-oss|thinking/i.test(id)) return 'always';
  if (/DeepSeek-V3\.1|GLM-4\.5|Qwen3-(8B|32B|235B-A22B-fp8)/i.test(id)) return 'optional';
  return 'never';
}

/** The `GET /v1/models` item (OpenAPI ModelInfo). */
export interface ModelInfo {
  id: string;
  object: 'model';
  created: number;
  type: string;
  display_name: string;
  organization: string;
  link: string;
  license: string;
  context_length?: number;
  pricing: { hourly: number; input: number; output: number; base: number; finetune: number };
}

export type ModelLookup =
  | { kind: 'serverless'; model: EmulatorModel }
  | { kind: 'not_serverless'; model: EmulatorModel }
  | { kind: 'unknown' };

/** Vector lengths of the snapshot's embedding models (from their model cards). */
const EMBEDDING_DIMENSIONS: Record<string, number> = {
  'togethercomputer/m2-bert-80M-32k-retrieval': 768,
  'BAAI/bge-large-en-v1.5': 1024,
  'BAAI/bge-base-en-v1.5': 768,
  'Alibaba-NLP/gte-modernbert-base': 768,
  'intfloat/multilingual-e5-large-instruct': 1024,
};
const DEFAULT_DIMENSIONS = 768;

function nameFromId(id: string): { display_name: string; organization: string } {
  const [org, ...rest] = id.split('/');
  const tail = rest.join('/') || id;
  return { display_name: tail.replace(/[-_]/g, ' '), organization: rest.length ? (org ?? '') : '' };
}

function fromExtra(extra: EmulatorExtraModel): EmulatorModel {
  const names = nameFromId(extra.id);
  const type = extra.type ?? 'chat';
  return {
    id: extra.id,
    type,
    display_name: extra.display_name ?? names.display_name,
    organization: extra.organization ?? names.organization,
    context_length: extra.context_length ?? (type === 'embedding' ? 8192 : 131072),
    pricing: extra.pricing ?? { input: 0, output: 0 },
    serverless: extra.serverless ?? true,
    minTier: extra.min_tier ?? 0,
    dimensions: extra.dimensions ?? DEFAULT_DIMENSIONS,
    reasoning: reasoningMode(extra.id),
  };
}

export class EmulatorCatalog {
  private readonly byId = new Map<string, EmulatorModel>();
  private readonly created: number;

  constructor(extra: readonly EmulatorExtraModel[] = [], exclude: readonly string[] = [], snapshot: CatalogSnapshot = loadSnapshot()) {
    this.created = Math.floor(Date.parse(snapshot.as_of) / 1000) || 0;
    const tiers = new Map(snapshot.tier_gated.map((t) => [t.id, t.min_tier]));
    for (const m of snapshot.models) {
      this.byId.set(m.id, {
        id: m.id,
        type: m.type as ModelType,
        display_name: m.display_name,
        organization: m.organization,
        context_length: m.context_length,
        pricing: { input: m.pricing.input, output: m.pricing.output },
        serverless: m.serverless,
        minTier: tiers.get(m.id) ?? 0,
        dimensions: EMBEDDING_DIMENSIONS[m.id] ?? DEFAULT_DIMENSIONS,
        reasoning: m.type === 'chat' || m.type === 'language' ? reasoningMode(m.id) : 'never',
      });
    }
    // Deprecated ids that can still run on a dedicated endpoint stay listed and answer like non-serverless
    // models; the others are gone (404).
    for (const d of snapshot.deprecated) {
      if (!d.dedicated_available || this.byId.has(d.id)) continue;
      this.byId.set(d.id, {
        id: d.id,
        type: 'chat',
        ...nameFromId(d.id),
        context_length: undefined,
        pricing: { input: 0, output: 0 },
        serverless: false,
        minTier: tiers.get(d.id) ?? 0,
        dimensions: DEFAULT_DIMENSIONS,
        reasoning: 'never',
      });
    }
    for (const e of extra) this.byId.set(e.id, fromExtra(e));
    for (const id of exclude) this.byId.delete(id);
  }

  lookup(id: string): ModelLookup {
    const model = this.byId.get(id);
    if (!model) return { kind: 'unknown' };
    return model.serverless ? { kind: 'serverless', model } : { kind: 'not_serverless', model };
  }

  /** The bare-array body of GET /v1/models. */
  list(): ModelInfo[] {
    return [...this.byId.values()].map((m) => ({
      id: m.id,
      object: 'model',
      created: this.created,
      type: m.type,
      display_name: m.display_name,
      organization: m.organization,
      link: `https://api.together.ai/models/${m.id}`,
      // The snapshot carries no license; an empty string says "unknown" without inventing one.
      license: '',
      ...(m.context_length === undefined ? {} : { context_length: m.context_length }),
      pricing: { hourly: 0, input: m.pricing.input, output: m.pricing.output, base: 0, finetune: 0 },
    }));
  }
}

export type CatalogEndpoint = 'chat' | 'completion' | 'embedding' | 'image' | 'rerank' | 'speech' | 'transcription';

/** Audio models that transcribe (Whisper); the other audio models speak. */
function transcribes(model: EmulatorModel): boolean {
  return /whisper/i.test(model.id);
}

/** Which endpoint families a model type answers. */
export function supports(model: EmulatorModel, endpoint: CatalogEndpoint): boolean {
  if (endpoint === 'embedding') return model.type === 'embedding';
  if (endpoint === 'image') return model.type === 'image';
  if (endpoint === 'rerank') return model.type === 'rerank';
  if (endpoint === 'speech') return model.type === 'audio' && !transcribes(model);
  if (endpoint === 'transcription') return (model.type === 'audio' || (model.type as string) === 'transcribe') && transcribes(model);
  return model.type === 'chat' || model.type === 'language' || model.type === 'code' || model.type === 'moderation';
}
