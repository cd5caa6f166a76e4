// Steps that talk to the API through the same transport the rest of tether uses (proxy honoured): the model
// list, /whoami, latency, and a one-token completion.
import { PATHS, createTransport, parseModelList, type Transport } from '../../api/index.js';
import { createCatalog, isFreeVariant, type Catalog, type CatalogModel } from '../../catalog/index.js';
import { classify, classifyNetworkError, type TogetherError } from '../../errors/index.js';
import { createDispatcher } from '../proxy.js';
import { fail, ms, pass, skip, warn, type DoctorContext, type DoctorStep, type SeenResponse } from './context.js';

interface TimedReply extends SeenResponse {
  text: string;
  elapsedMs: number;
}

function transportFor(ctx: DoctorContext): Transport {
  if (ctx.transport !== undefined) return ctx.transport;
  const target = ctx.target;
  if (target === undefined) throw new Error('the base URL step did not run');
  ctx.dispatcher = createDispatcher(ctx.proxy?.settings ?? { sources: {} }, { ca: ctx.options.ca, timeout: ctx.timeoutMs });
  ctx.transport = createTransport({ baseUrl: target.href, apiKey: ctx.key?.value, dispatcher: ctx.dispatcher, env: ctx.env });
  return ctx.transport;
}

/** One request, timed, its response recorded for the rate-limit and clock steps. Throws a TogetherError. */
async function timedRequest(ctx: DoctorContext, method: 'GET' | 'POST', path: string, body?: unknown, model?: string): Promise<TimedReply> {
  const transport = transportFor(ctx);
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  const sentAt = ctx.now();
  const started = performance.now();
  try {
    const response = await transport.send({ method, path, body, signal, model });
    const receivedAt = ctx.now();
    const text = await response.body.text();
    const seen: SeenResponse = { path, status: response.status, headers: response.headers, sentAt, receivedAt, date: response.headers['date'] };
    ctx.responses.push(seen);
    return { ...seen, text, elapsedMs: performance.now() - started };
  } catch (error) {
    throw classifyNetworkError(error, { model });
  }
}

function requestIdNote(headers: Record<string, string>): string[] {
  const id = headers['x-request-id'] ?? headers['cf-ray'] ?? headers['x-together-traceid'];
  return id === undefined ? [] : [`request id: ${id}`];
}

/** A failed call as a step failure: the classified message and its fix. */
function failure(what: string | undefined, error: TogetherError, extraDetails: string[] = []): ReturnType<typeof fail> {
  const status = error.status === undefined ? '' : `${error.status} `;
  return fail(`${what === undefined ? '' : `${what}: `}${status}${error.category} — ${error.message}`, error.fix, {
    details: [...new Set([...extraDetails, ...(error.requestId ? [`request id: ${error.requestId}`] : [])])],
    data: { error: error.toJSON() },
  });
}

export const modelsStep: DoctorStep = {
  id: 'models',
  title: 'GET /models',
  needs: ['key', 'tcp', 'tls'],
  async run(ctx) {
    let reply: TimedReply;
    try {
      reply = await timedRequest(ctx, 'GET', PATHS.models);
    } catch (error) {
      return failure(undefined, error as TogetherError);
    }
    if (reply.status < 200 || reply.status >= 300) {
      return failure(undefined, classify({ status: reply.status, headers: reply.headers, body: reply.text, keySource: ctx.key?.source }), requestIdNote(reply.headers));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.text);
    } catch {
      parsed = undefined;
    }
    const models = parseModelList(parsed);
    if (models === undefined) {
      return fail(
        `GET /models answered ${reply.status} but not with a list of models`,
        'Something other than the Together API answered (a captive portal, a proxy, or a base URL pointing at the wrong service): check the base URL.',
        { details: requestIdNote(reply.headers) },
      );
    }
    ctx.modelList = models;
    return pass(`${reply.status}: ${models.length} models listed (${ms(reply.elapsedMs)})`, {
      details: requestIdNote(reply.headers),
      data: { status: reply.status, models: models.length, elapsedMs: Math.round(reply.elapsedMs) },
    });
  },
};

export const whoamiStep: DoctorStep = {
  id: 'whoami',
  title: 'GET /whoami',
  needs: ['models'],
  async run(ctx) {
    let reply: TimedReply;
    try {
      reply = await timedRequest(ctx, 'GET', PATHS.whoami);
    } catch (error) {
      const e = error as TogetherError;
      return warn(`GET /whoami failed: ${e.message}`, e.fix);
    }
    if (reply.status === 404) return skip('this server has no /whoami (the key was already accepted by GET /models)');
    if (reply.status < 200 || reply.status >= 300) {
      const error = classify({ status: reply.status, headers: reply.headers, body: reply.text, keySource: ctx.key?.source });
      return error.category === 'auth' ? failure(undefined, error) : warn(`GET /whoami: ${reply.status} ${error.category} — ${error.message}`, error.fix);
    }
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(reply.text);
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      return warn(`GET /whoami answered ${reply.status} but not with JSON`, 'Check the base URL points at the Together API.');
    }
    ctx.whoamiAnswered = true;
    const text = (name: string): string | undefined => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    const org = text('organization_name') ?? text('organization_id');
    const project = text('project_name') ?? text('project_slug') ?? text('project_id');
    const keyId = text('api_key_id');
    const who = `${keyId ? `key ${keyId}` : 'the key'} ${org ? `belongs to organization "${org}"` : 'identifies an account'}`;
    const fields = ['api_key_id', 'organization_id', 'organization_name', 'project_id', 'project_name', 'project_slug', 'user_id'];
    return pass(project ? `${who}, project "${project}"` : who, { data: Object.fromEntries(fields.filter((f) => text(f) !== undefined).map((f) => [f, text(f)])) });
  },
};

/** The median of a list of numbers (the p50). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const SLOW_P50_MS = 1500;

export const latencyStep: DoctorStep = {
  id: 'latency',
  title: 'latency',
  needs: ['models'],
  async run(ctx) {
    const count = Math.max(1, ctx.options.latencySamples ?? 3);
    const path = ctx.whoamiAnswered ? PATHS.whoami : PATHS.models;
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const reply = await timedRequest(ctx, 'GET', path);
        if (reply.status < 200 || reply.status >= 300) return warn(`GET ${path} answered ${reply.status} while timing`, 'Run the doctor again; if it repeats, see the GET /models step.');
        samples.push(reply.elapsedMs);
      } catch (error) {
        return warn(`GET ${path} failed while timing: ${(error as TogetherError).message}`, (error as TogetherError).fix);
      }
    }
    const p50 = median(samples);
    const summary = `p50 ${ms(p50)} over ${count} GET ${path} (${samples.map((s) => Math.round(s)).join(', ')} ms)`;
    const data = { path, samplesMs: samples.map((s) => Math.round(s)), p50Ms: Math.round(p50) };
    if (p50 > SLOW_P50_MS) {
      return warn(summary, 'Slow round trips: check the network path (VPN, proxy, Wi-Fi); long requests will need generous timeouts.', { data });
    }
    return pass(summary, { data });
  },
};

/** The catalog over the list the models step loaded (or the bundled snapshot when it could not). */
export function catalogFor(ctx: DoctorContext): Catalog {
  if (ctx.catalog !== undefined) return ctx.catalog;
  const list = ctx.modelList;
  ctx.catalog = createCatalog({
    fetchModels: list === undefined ? () => Promise.reject(new Error('the live model list could not be loaded')) : () => Promise.resolve(list),
    onRefreshError: () => undefined,
  });
  return ctx.catalog;
}

/** The cheapest serverless chat model of the list (not a free variant, not tier-gated above tier 1). */
export function cheapestChatModel(models: readonly CatalogModel[]): string | undefined {
  const usable = (m: CatalogModel): boolean =>
    m.type === 'chat' && m.deprecated === undefined && (m.minTier === undefined || m.minTier <= 1) && !isFreeVariant(m.id);
  const price = (m: CatalogModel): number => (m.pricing === undefined ? Number.POSITIVE_INFINITY : m.pricing.input + m.pricing.output);
  const byPrice = (a: CatalogModel, b: CatalogModel): number => price(a) - price(b) || a.id.localeCompare(b.id);
  const known = models.filter((m) => usable(m) && m.serverless === true).sort(byPrice);
  const unknown = models.filter((m) => usable(m) && m.serverless === undefined).sort(byPrice);
  return (known[0] ?? unknown[0])?.id;
}

export const completionStep: DoctorStep = {
  id: 'completion',
  title: 'one-token completion',
  needs: ['models'],
  async run(ctx) {
    const model = ctx.options.model ?? cheapestChatModel(await catalogFor(ctx).list());
    if (model === undefined) {
      return warn('no serverless chat model in the list to try', 'Name one with --model to test a completion.');
    }
    const body = { model, messages: [{ role: 'user', content: 'Say OK.' }], max_tokens: 1 };
    let reply: TimedReply;
    try {
      reply = await timedRequest(ctx, 'POST', PATHS.chatCompletions, body, model);
    } catch (error) {
      return failure(model, error as TogetherError);
    }
    ctx.completionHeaders = reply.headers;
    if (reply.status < 200 || reply.status >= 300) {
      return failure(`${model}`, classify({ status: reply.status, headers: reply.headers, body: reply.text, model, keySource: ctx.key?.source }), requestIdNote(reply.headers));
    }
    let usage: { completion_tokens?: unknown } | undefined;
    try {
      usage = (JSON.parse(reply.text) as { usage?: { completion_tokens?: unknown } }).usage;
    } catch {
      return fail(`${model} answered ${reply.status} but not with JSON`, 'Check the base URL points at the Together API (or a compatible gateway).');
    }
    const tokens = typeof usage?.completion_tokens === 'number' ? `, ${usage.completion_tokens} completion token${usage.completion_tokens === 1 ? '' : 's'}` : '';
    return pass(`${model} answered in ${ms(reply.elapsedMs)}${tokens}`, {
      details: requestIdNote(reply.headers),
      data: { model, status: reply.status, elapsedMs: Math.round(reply.elapsedMs) },
    });
  },
};
