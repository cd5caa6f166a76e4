// One-line progress for a terminal: bar, counts, rate, ETA and spend. Pure: the CLI decides when to draw it.
export interface ProgressView {
  total: number;
  done: number;
  failed: number;
  spentUsd: number;
  inFlight: number;
  /** Requests finished by this process since it started, and the time that took: the rate. */
  finishedThisRun: number;
  elapsedMs: number;
  /** With --via auto|batch: requests waiting on the Batch API, answered by it, and its batches' status. */
  batch?: { waiting: number; answered: number; status: string } | undefined;
}

export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Dollars: cents from $1, four decimals below, two significant digits under $0.0001 (a spend is never shown as $0.0000). */
export function formatUsd(usd: number): string {
  if (usd >= 1 || usd === 0) return `$${usd.toFixed(2)}`;
  if (usd >= 0.0001) return `$${usd.toFixed(4)}`;
  return `$${Number(usd.toPrecision(2)).toFixed(12).replace(/0+$/, '')}`;
}

export function progressBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function formatProgress(view: ProgressView, width = 24): string {
  const fraction = view.total === 0 ? 1 : view.done / view.total;
  // No rate (and so no ETA) until this process has finished something: 0/s at the start says nothing.
  const rate = view.elapsedMs > 0 && view.finishedThisRun > 0 ? view.finishedThisRun / (view.elapsedMs / 1000) : undefined;
  const left = view.total - view.done;
  const eta = left === 0 ? '0s' : rate !== undefined ? formatDurationShort((left / rate) * 1000) : '?';
  const failed = view.failed ? ` · ${view.failed} failed` : '';
  // Both paths: what went live (in flight now) and what the Batch API holds and has answered.
  const paths = view.batch
    ? ` · live ${view.inFlight} in flight · batch ${view.batch.answered} done, ${view.batch.waiting} waiting${view.batch.status ? ` (${view.batch.status})` : ''}`
    : '';
  return (
    `${progressBar(fraction, width)} ${view.done}/${view.total} ${Math.floor(fraction * 100)}%` +
    `${rate !== undefined ? ` · ${rate.toFixed(1)}/s` : ''} · ETA ${eta} · ${formatUsd(view.spentUsd)}${failed}${paths}`
  );
}
