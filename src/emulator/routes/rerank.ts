// POST /v1/rerank: documents scored against the query (shared words, then a seeded tie-break), sorted, cut to
// top_n; tokens counted and billed at the model's input price and admitted like chat.
import { z } from 'zod';
import { countTextTokens } from '../../tokens/index.js';
import { invalidRequest } from '../errors.js';
import { sendError, sendJson } from '../http.js';
import type { Exchange } from '../http.js';
import { acceptRequest, admit, resolveModel, responseEnvelope } from '../inference.js';
import { hashSeed } from '../prng.js';
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';

/** The emulator's bounds (Together publishes none): documents per request and characters per document. */
export const RERANK_LIMITS = { maxDocuments: 1024, maxDocumentChars: 100_000 } as const;

export const rerankRequestSchema = z.looseObject({
  model: z.string().min(1),
  query: z.string().min(1),
  documents: z.union([
    z.array(z.string().max(RERANK_LIMITS.maxDocumentChars)).min(1).max(RERANK_LIMITS.maxDocuments),
    z.array(z.record(z.string(), z.unknown())).min(1).max(RERANK_LIMITS.maxDocuments),
  ]),
  top_n: z.number().int().min(1).nullish(),
  return_documents: z.boolean().nullish(),
  rank_fields: z.array(z.string()).nullish(),
});

const FIXES: Record<string, string> = {
  model: 'Set `model` to a rerank model from GET /v1/models, e.g. "Salesforce/Llama-Rank-V1".',
  query: 'Send `query` as a non-empty string.',
  documents: `Send \`documents\` as 1 to ${RERANK_LIMITS.maxDocuments} strings (each at most ${RERANK_LIMITS.maxDocumentChars} characters) or 1 to ${RERANK_LIMITS.maxDocuments} objects.`,
  top_n: 'Send `top_n` as a positive integer.',
  rank_fields: 'Send `rank_fields` as an array of field names of the documents, e.g. ["title", "text"].',
};

const EXAMPLE = '{"model": "Salesforce/Llama-Rank-V1", "query": "What animals can I find near Peru?", "documents": ["The llama is a camelid.", "The giant panda is a bear."]}';

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** A score in (0, 1): the share of query words in the document, nudged by a stable hash so ties are ordered. */
export function relevance(seed: number, query: string, document: string): number {
  const q = words(query);
  const d = words(document);
  let shared = 0;
  for (const w of q) if (d.has(w)) shared++;
  const overlap = q.size ? shared / q.size : 0;
  const jitter = (hashSeed(seed, 'rerank', query, document) % 10_000) / 1_000_000;
  return Math.round((0.01 + 0.9 * overlap + jitter) * 1e6) / 1e6;
}

/** The text of a document: itself, or for objects the rank_fields (default `text`) joined. */
function documentText(document: string | Record<string, unknown>, rankFields: readonly string[]): string {
  if (typeof document === 'string') return document;
  return rankFields.map((field) => (document[field] === undefined ? '' : String(document[field]))).join('\n');
}

async function rerank(state: EmulatorState, ex: Exchange): Promise<void> {
  const accepted = await acceptRequest(state, ex, rerankRequestSchema, EXAMPLE, FIXES);
  if (!accepted) return;
  const { key, body } = accepted;
  const model = resolveModel(state, ex, key, body.model, 'rerank');
  if (!model) return;
  const rankFields = body.rank_fields?.length ? body.rank_fields : ['text'];
  const documents = body.documents as (string | Record<string, unknown>)[];
  const objects = documents.filter((d): d is Record<string, unknown> => typeof d !== 'string');
  const missing = rankFields.find((field) => objects.length && objects.every((d) => d[field] === undefined));
  if (missing) {
    return sendError(ex, invalidRequest(`No document has the field "${missing}" named in \`rank_fields\` (default ["text"]). Name fields the documents have.`, 'rank_fields'));
  }
  const texts = documents.map((d) => documentText(d, rankFields));
  const count = async (text: string): Promise<number> => (text ? (await countTextTokens(model.id, text)).tokens : 0);
  const queryTokens = await count(body.query);
  const documentTokens: number[] = [];
  for (const text of texts) documentTokens.push(await count(text));
  // Each document is scored with the query beside it, so both are counted per document.
  const tokens = documentTokens.reduce((sum, t) => sum + t + queryTokens, 0);
  const longest = Math.max(...documentTokens);
  if (model.context_length && queryTokens + longest > model.context_length) {
    return sendError(
      ex,
      invalidRequest(`The query and a document together are ${queryTokens + longest} tokens, over ${model.id}'s ${model.context_length}-token context. Shorten the longest document.`, 'documents'),
    );
  }
  const admission = await admit(state, ex, { key, model, stream: false, promptTokens: tokens, completionTokens: 0 });
  if (!admission) return;
  const env = responseEnvelope(state, ex, '/v1/rerank', body, model.id);
  const ranked = texts
    .map((text, index) => ({ index, relevance_score: relevance(state.config.seed, body.query, text) }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
    .slice(0, body.top_n ?? texts.length)
    .map((r) => {
      const original = documents[r.index] as string | Record<string, unknown>;
      const document = body.return_documents ? (typeof original === 'string' ? { text: original } : original) : { text: null };
      return { ...r, document };
    });
  sendJson(ex, 200, {
    object: 'rerank',
    id: env.id,
    model: model.id,
    results: ranked,
    usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens },
  });
}

export function rerankRoutes(state: EmulatorState): Route[] {
  return [{ method: 'POST', path: '/v1/rerank', handler: (ex) => rerank(state, ex) }];
}
