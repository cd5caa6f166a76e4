// What `tether batch submit` checks beyond the line format, before anything is uploaded: the model of every
// request exists, is offered by Together's Batch API, and the prompt plus max_tokens fits its context. Models
// come from the bundled catalog snapshot (its `batch` flag); prompts are bounded cheaply first and counted
// with the model's tokenizer only when the bound does not fit.
import { loadSnapshot, suggest } from '../catalog/index.js';
import type { SnapshotModel } from '../catalog/index.js';
import { countChatTokens, upperBoundChatTokens } from '../tokens/index.js';
import type { ChatMessageLike } from '../tokens/index.js';
import type { BatchRequest, InputIssue } from './input.js';

type ModelVerdict = { ok: true; model: SnapshotModel } | { ok: false; message: string };

function modelVerdict(id: string, models: Map<string, SnapshotModel>): ModelVerdict {
  const model = models.get(id);
  if (!model) {
    const near = suggest(id, [...models.keys()]);
    return { ok: false, message: `model "${id}" is not in Together's catalog${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''}` };
  }
  if (!model.batch) {
    const batchable = [...models.values()].filter((m) => m.batch).map((m) => m.id);
    const near = suggest(id, batchable, 2);
    return { ok: false, message: `model "${id}" is not offered by the Batch API${near.length ? ` (batch models include ${near.join(', ')})` : ''}; run it live with \`tether run\` instead` };
  }
  return { ok: true, model };
}

async function contextProblem(request: BatchRequest, model: SnapshotModel): Promise<string | undefined> {
  const body = request.body as { messages?: ChatMessageLike[]; tools?: unknown; max_tokens?: unknown };
  const messages = body.messages ?? [];
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 1;
  const limit = model.context_length;
  if (!limit) return undefined;
  const bound = upperBoundChatTokens(messages, body.tools === undefined ? {} : { tools: body.tools });
  if (body.tools === undefined && bound + maxTokens <= limit) return undefined;
  const prompt = (await countChatTokens(model.id, messages, body.tools === undefined ? {} : { tools: body.tools })).tokens;
  if (prompt + maxTokens <= limit) return undefined;
  const what = typeof body.max_tokens === 'number' ? `${prompt} prompt tokens + max_tokens ${maxTokens}` : `${prompt} prompt tokens`;
  return `${what} do not fit ${model.id}'s ${limit}-token context; shorten the prompt or lower max_tokens`;
}

/** Every model and context problem, by line. */
export async function checkBatchModels(requests: readonly BatchRequest[]): Promise<InputIssue[]> {
  const models = new Map(loadSnapshot().models.map((m) => [m.id, m]));
  const verdicts = new Map<string, ModelVerdict>();
  const issues: InputIssue[] = [];
  for (const request of requests) {
    const id = String(request.body.model);
    let verdict = verdicts.get(id);
    if (!verdict) {
      verdict = modelVerdict(id, models);
      verdicts.set(id, verdict);
    }
    if (!verdict.ok) {
      issues.push({ line: request.line, message: verdict.message });
      continue;
    }
    const problem = await contextProblem(request, verdict.model);
    if (problem) issues.push({ line: request.line, message: problem });
  }
  return issues;
}
