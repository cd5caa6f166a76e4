// `GET /v1/models` on the wire: the pipeline lists catalog entries (camelCase, merged with the snapshot); clients
// expect Together's/OpenAI's model objects (`object: "model"`, snake_case), so each entry is presented as one.
interface CatalogLike {
  id: string;
  type?: string;
  displayName?: string;
  organization?: string;
  contextLength?: number;
  contextLengthSources?: { api?: number; docs?: number };
  pricing?: { input: number; output: number };
}

/** One model object as Together's `/models` answers it (plus OpenAI's `owned_by`). */
export function toWireModel(entry: unknown): unknown {
  if (entry === null || typeof entry !== 'object') return entry;
  const model = entry as CatalogLike & { object?: unknown };
  if (model.object === 'model' || typeof model.id !== 'string') return entry; // already a wire object
  const contextLength = model.contextLengthSources?.api ?? model.contextLength;
  return {
    id: model.id,
    object: 'model',
    created: 0,
    type: model.type,
    ...(model.displayName !== undefined ? { display_name: model.displayName } : {}),
    ...(model.organization !== undefined ? { organization: model.organization } : {}),
    owned_by: model.organization ?? 'together',
    ...(contextLength !== undefined ? { context_length: contextLength } : {}),
    ...(model.pricing !== undefined ? { pricing: { input: model.pricing.input, output: model.pricing.output } } : {}),
  };
}
