// The one cheap request that tells whether a key stopped by a 402 has credit again: a 1-token chat completion to
// the cheapest priced chat model of the catalog (or the one configured). Answered → credit is back; 402 → still
// none; anything else (network, 5xx, a model gone) says nothing, and the key is probed again later.
import { PATHS } from '../api/index.js';
import type { Transport } from '../api/index.js';
import type { Catalog } from '../catalog/index.js';
import type { ProbeOutcome } from '../policy/index.js';

/** The longest a probe may take. */
const PROBE_TIMEOUT_MS = 30_000;

/** The cheapest chat model with a known price (input + output per 1M tokens), or undefined. */
export async function cheapestChatModel(catalog: Catalog): Promise<string | undefined> {
  const models = await catalog.list(AbortSignal.timeout(PROBE_TIMEOUT_MS));
  let best: { id: string; price: number } | undefined;
  for (const model of models) {
    if (model.type !== 'chat' || model.pricing === undefined) continue;
    const price = model.pricing.input + model.pricing.output;
    if (best === undefined || price < best.price) best = { id: model.id, price };
  }
  return best?.id;
}

export async function probeCredit(transport: Transport, catalog: Catalog, apiKey: string, model: string | undefined): Promise<ProbeOutcome> {
  const id = model ?? (await cheapestChatModel(catalog));
  if (id === undefined) return 'unknown';
  const response = await transport.send({
    method: 'POST',
    path: PATHS.chatCompletions,
    body: { model: id, messages: [{ role: 'user', content: '.' }], max_tokens: 1 },
    apiKey,
    model: id,
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  });
  await response.body.text().catch(() => '');
  if (response.status >= 200 && response.status < 300) return 'resumed';
  return response.status === 402 ? 'still_stopped' : 'unknown';
}
