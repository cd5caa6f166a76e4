// Together's endpoint paths, relative to the base URL (which already ends in /v1).

export const PATHS = {
  chatCompletions: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  rerank: '/rerank',
  images: '/images/generations',
  audioSpeech: '/audio/speech',
  audioTranscriptions: '/audio/transcriptions',
  audioTranslations: '/audio/translations',
  models: '/models',
  files: '/files',
  filesUpload: '/files/upload',
  fineTunes: '/fine-tunes',
  batches: '/batches',
  whoami: '/whoami',
} as const;

export type EndpointName = keyof typeof PATHS;

/** `/files/{id}` and friends: ids are opaque strings, so they are always URL-encoded. */
export const pathTo = {
  file: (id: string): string => `/files/${encodeURIComponent(id)}`,
  fileContent: (id: string): string => `/files/${encodeURIComponent(id)}/content`,
  fileWithPreprocess: (id: string): string => `/files/${encodeURIComponent(id)}/preprocess`,
  fineTune: (id: string): string => `/fine-tunes/${encodeURIComponent(id)}`,
  fineTuneCancel: (id: string): string => `/fine-tunes/${encodeURIComponent(id)}/cancel`,
  fineTuneEvents: (id: string): string => `/fine-tunes/${encodeURIComponent(id)}/events`,
  fineTuneCheckpoints: (id: string): string => `/fine-tunes/${encodeURIComponent(id)}/checkpoints`,
  /** Singular `finetune`: Together's download path differs from the rest of the fine-tune API. */
  fineTuneDownload: '/finetune/download',
  batch: (id: string): string => `/batches/${encodeURIComponent(id)}`,
  batchCancel: (id: string): string => `/batches/${encodeURIComponent(id)}/cancel`,
} as const;

/** The inference endpoints whose request bodies name a model (what the pipeline resolves and paces). */
export const INFERENCE_PATHS: ReadonlySet<string> = new Set([
  PATHS.chatCompletions,
  PATHS.completions,
  PATHS.embeddings,
  PATHS.rerank,
  PATHS.images,
  PATHS.audioSpeech,
  PATHS.audioTranscriptions,
  PATHS.audioTranslations,
]);
