// The dashboard's "Client budgets" rows, read from the budget gauges in the gateway's registry (gateway/budgets.ts
// sets them from the store at every read): one row per budgeted client. Pure: the registry's JSON in, rows out.
import type { MetricFamily } from './readings.js';

export interface BudgetRow {
  client: string;
  per: string;
  limitUsd: number;
  spentUsd: number;
  reservedUsd: number;
}

export function budgetRows(metrics: readonly MetricFamily[]): BudgetRow[] {
  const rows = new Map<string, BudgetRow>();
  const read = (name: string, field: 'limitUsd' | 'spentUsd' | 'reservedUsd'): void => {
    for (const v of metrics.find((m) => m.name === name)?.values ?? []) {
      const client = String(v.labels['client'] ?? '');
      const row = rows.get(client) ?? { client, per: String(v.labels['per'] ?? ''), limitUsd: 0, spentUsd: 0, reservedUsd: 0 };
      row[field] = v.value;
      rows.set(client, row);
    }
  };
  read('tether_gateway_budget_limit_usd', 'limitUsd');
  read('tether_gateway_budget_spent_usd', 'spentUsd');
  read('tether_gateway_budget_reserved_usd', 'reservedUsd');
  return [...rows.values()].sort((a, b) => a.client.localeCompare(b.client));
}
