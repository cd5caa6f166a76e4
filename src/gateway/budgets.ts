// Spend budgets per gateway client (`clients[].budget`): each request reserves its worst case before the pipeline
// sends it and settles to its real cost when it ends (pipeline/spend-budget-layer.ts). The budgets outlive config
// reloads (a reload does not hand a client a fresh budget) and, with `redis` in the config, are shared by every
// gateway on that Redis (one Lua script per reserve and per settle: policy/redis-spend-store.ts). `/metrics` and the
// dashboard read each client's current window from here.
import { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { modelLookupFrom, withSpendBudget } from '../pipeline/index.js';
import type { ModelLookup, Pipeline, PipelineRequest, PipelineResult } from '../pipeline/index.js';
import { budgetUnpricedError } from '../errors/index.js';
import type { TogetherError } from '../errors/index.js';
import { MemorySpendStore, RedisSpendStore, SpendBudgets } from '../policy/index.js';
import type { BudgetLimit, BudgetReading } from '../policy/index.js';
import type { ResolvedClient } from './config.js';

type Send = (request: PipelineRequest) => Promise<PipelineResult>;

/** One client's budget as /metrics and the dashboard show it. */
export interface ClientBudgetRow extends BudgetReading {
  leftUsd: number;
}

export class GatewayBudgets {
  private memory: SpendBudgets | undefined;
  private readonly shared = new Map<string, { budgets: SpendBudgets; redis: Redis }>();
  private readonly lookups = new WeakMap<Pipeline, ModelLookup>();
  /** The current config's budgeted clients, and its Redis URL. */
  private clients: ReadonlyArray<{ name: string; budget: BudgetLimit }> = [];
  private redisUrl: string | undefined;
  private refused: Counter<'client'> | undefined;

  constructor(private readonly onSettleError: (error: unknown) => void = () => {}) {}

  /** Follows a (re)loaded config: which clients have budgets, and where budgets live. */
  configure(clients: readonly ResolvedClient[], redisUrl: string | undefined): void {
    this.clients = clients.flatMap((client) => (client.budget === undefined ? [] : [{ name: client.name, budget: client.budget }]));
    this.redisUrl = redisUrl;
  }

  private budgetsFor(redisUrl: string | undefined): SpendBudgets {
    if (redisUrl === undefined) return (this.memory ??= new SpendBudgets(new MemorySpendStore()));
    let entry = this.shared.get(redisUrl);
    if (entry === undefined) {
      // Commands wait for the first connection (a gateway just started must not refuse its first requests), but
      // with Redis away a reserve fails after one reconnection attempt and its request is refused (503).
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, disconnectTimeout: 50 });
      redis.on('error', () => {});
      entry = { budgets: new SpendBudgets(new RedisSpendStore(redis)), redis };
      this.shared.set(redisUrl, entry);
    }
    return entry.budgets;
  }

  /** The pipeline's send, charged to `client`'s budget when it has one. */
  sendFor(pipeline: Pipeline, client: string | undefined, budget: BudgetLimit | undefined): Send {
    if (client === undefined || budget === undefined) return (request) => pipeline.send(request);
    let lookup = this.lookups.get(pipeline);
    if (lookup === undefined) this.lookups.set(pipeline, (lookup = modelLookupFrom((signal) => pipeline.listModels(signal))));
    const send = withSpendBudget((request) => pipeline.send(request), { budgets: this.budgetsFor(this.redisUrl), name: client, limit: budget }, lookup, this.onSettleError);
    return async (request) => {
      try {
        return await send(request);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'budget_exceeded') this.refused?.inc({ client });
        throw error;
      }
    };
  }

  /** Every budgeted client's current window (a client whose store cannot be read is left out). */
  async rows(): Promise<ClientBudgetRow[]> {
    if (this.clients.length === 0) return []; // no budgets: no Redis connection opened for them
    const budgets = this.budgetsFor(this.redisUrl);
    const rows = await Promise.all(
      this.clients.map(({ name, budget }) =>
        budgets.read(name, budget).then(
          (reading): ClientBudgetRow => ({ ...reading, leftUsd: Math.max(0, reading.limitUsd - reading.spentUsd - reading.reservedUsd) }),
          () => undefined,
        ),
      ),
    );
    return rows.filter((row): row is ClientBudgetRow => row !== undefined);
  }

  /** Gauges and a counter in the gateway's registry, read from the stores at scrape time. */
  register(registry: Registry): void {
    const rows = (): Promise<ClientBudgetRow[]> => this.rows();
    const gauge = (name: string, help: string, value: (row: ClientBudgetRow) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['client', 'per'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const row of await rows()) this.set({ client: row.budget, per: row.per }, value(row));
        },
      });
    };
    gauge('tether_gateway_budget_limit_usd', 'Each budgeted client\'s limit per window, USD.', (row) => row.limitUsd);
    gauge('tether_gateway_budget_spent_usd', 'Settled spend in the client\'s current budget window, USD.', (row) => row.spentUsd);
    gauge('tether_gateway_budget_reserved_usd', 'Worst-case cost reserved by the client\'s requests in flight, USD.', (row) => row.reservedUsd);
    this.refused = new Counter({ name: 'tether_gateway_budget_refused_total', help: 'Requests refused because they did not fit their client\'s budget.', labelNames: ['client'], registers: [registry] });
  }

  async close(): Promise<void> {
    const all = [...this.shared.values()];
    this.shared.clear();
    await Promise.all(all.map(({ redis }) => redis.quit().then(() => {}, () => redis.disconnect())));
  }
}

/**
 * A budgeted client's request on a path the gateway forwards unchanged (batches, fine-tunes, endpoints, anything
 * Together adds) that could spend: every write but a file upload. tether cannot price it beforehand, so it is
 * refused (never counted as free); reads and deletes go through.
 */
export function unpricedForward(client: string, method: string | undefined, url: string | undefined): TogetherError | undefined {
  const path = (url ?? '').split('?')[0] ?? '';
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS') return undefined;
  if (path === '/v1/files' || path.startsWith('/v1/files/')) return undefined;
  if (/^\/v1\/(batches|fine-tunes)\/[^/]+\/cancel$/.test(path)) return undefined; // cancelling spends nothing
  return budgetUnpricedError(client, undefined, `${method ?? 'a'} ${path} is forwarded to Together unchanged and its cost cannot be reserved beforehand; send it with a client token that has no budget`);
}
