// The upstream the pipeline talks to, as one object: its transport, the path of each inference endpoint, how its
// error answers are classified, and its model list. `togetherUpstream` is Together's; the seam is where the
// emulator, a recorded replay or another OpenAI-compatible service (its own paths, its own error bodies) goes.
import { classify } from '../errors/index.js';
import type { ClassifyInput, TogetherError } from '../errors/index.js';
import { listModels } from './models.js';
import type { ListModelsOptions } from './models.js';
import { PATHS } from './paths.js';
import { createTransport } from './transport.js';
import type { Transport, TransportOptions } from './transport.js';
import type { ModelInfo } from './types.js';

/** The inference endpoints the pipeline runs. */
export type InferenceEndpoint = 'chat' | 'completions' | 'embeddings' | 'images' | 'rerank' | 'speech' | 'transcriptions' | 'translations';

export interface Upstream {
  /** The provider's name (tracing's `gen_ai.provider.name`). */
  readonly name: string;
  readonly transport: Transport;
  /** The path of an inference endpoint, under the transport's base URL. */
  path(endpoint: InferenceEndpoint): string;
  /** An error answer (status, headers, body) as a TogetherError. */
  classify(answer: ClassifyInput): TogetherError;
  /** The models the upstream serves. */
  listModels(options?: ListModelsOptions): Promise<ModelInfo[]>;
  /** Closes the transport when this object created it. */
  close(): Promise<void>;
}

/** Together's paths for the inference endpoints. */
export const TOGETHER_INFERENCE_PATHS: Readonly<Record<InferenceEndpoint, string>> = {
  chat: PATHS.chatCompletions,
  completions: PATHS.completions,
  embeddings: PATHS.embeddings,
  images: PATHS.images,
  rerank: PATHS.rerank,
  speech: PATHS.audioSpeech,
  transcriptions: PATHS.audioTranscriptions,
  translations: PATHS.audioTranslations,
};

/** Together's API: over the given transport, or over one created from `transportOptions` (then closed by close()). */
export function togetherUpstream(options: { transport?: Transport | undefined; transportOptions?: TransportOptions }): Upstream {
  const owned = options.transport === undefined;
  const transport = options.transport ?? createTransport(options.transportOptions);
  return {
    name: 'together',
    transport,
    path: (endpoint) => TOGETHER_INFERENCE_PATHS[endpoint],
    classify,
    listModels: (listOptions) => listModels(transport, listOptions),
    close: () => (owned ? transport.close() : Promise.resolve()),
  };
}
