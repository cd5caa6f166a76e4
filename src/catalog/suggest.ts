// "Did you mean": the closest model ids to one that is not an exact match. Pure; the catalog decides what to
// do with the answer (it never substitutes a suggestion silently). Bounded whatever the input: a query longer than
// MAX_SUGGEST_QUERY has no suggestions, and the edit distance is computed only for pairs whose lengths are close
// enough for it to matter (a 200 KB id once took 16 s of edit-distance work here, holding the event loop).

/**
 * Longest query that gets suggestions. Far above any real id (the catalog's longest is 49 characters), so a typo in
 * a real id is always matched, and the work per candidate stays under ~MAX_SUGGEST_QUERY² steps.
 */
export const MAX_SUGGEST_QUERY = 128;

interface IdParts {
  /** Lower-case organisation (`meta-llama`), or undefined when the id has no `org/` prefix. */
  org: string | undefined;
  /** Lower-case name part. */
  name: string;
  /** Name tokens with the noise users get wrong removed (see canonicalTokens). */
  tokens: string[];
  /** tokens joined with `-`. */
  canonical: string;
}

/**
 * Name tokens, lower-cased, split at `-`, `_`, spaces and letter→digit boundaries (`llama3.1` = `llama-3.1`),
 * without a leading `meta` before `llama` (`Meta-Llama-3.1` vs `Llama-3.3`) and without `turbo`
 * (the `-Turbo` suffix Together adds to its own serving variants).
 */
export function canonicalTokens(name: string): string[] {
  const tokens = name
    .toLowerCase()
    .replace(/([a-z])(\d)/g, '$1-$2')
    .split(/[-_\s]+/)
    .filter((token) => token !== '');
  if (tokens[0] === 'meta' && tokens[1] === 'llama') tokens.shift();
  return tokens.filter((token) => token !== 'turbo');
}

function parts(id: string): IdParts {
  const slash = id.indexOf('/');
  const org = slash >= 0 ? id.slice(0, slash).trim().toLowerCase() : undefined;
  const name = (slash >= 0 ? id.slice(slash + 1) : id).trim().toLowerCase();
  const tokens = canonicalTokens(name);
  return { org: org === '' ? undefined : org, name, tokens, canonical: tokens.join('-') };
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (prevPrev[j - 2] as number) + 1);
      row.push(best);
    }
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] as number;
}

/** Whether every token of `needle` appears in `hay`, in order. */
function isSubsequence(needle: readonly string[], hay: readonly string[]): boolean {
  let at = 0;
  for (const token of hay) if (token === needle[at]) at += 1;
  return at === needle.length;
}

/**
 * How far a candidate is from the query; lower is closer, Infinity is "not similar". Tiers:
 * 0 same id but for case · 1 same name, org missing or different · 2 same name once `Meta-`/`-Turbo`, case
 * and separators are ignored · 3+ the query is a shortened form of the name (+¼ per extra token) ·
 * 4+ a typo or a different version digit (+1 per edit on the name). A wrong organisation adds ½.
 */
export function similarity(query: string, candidate: string): number {
  if (query.length > MAX_SUGGEST_QUERY) return Infinity;
  if (query.trim().toLowerCase() === candidate.toLowerCase()) return 0;
  const q = parts(query);
  const c = parts(candidate);
  if (q.name === '' || q.canonical === '') return Infinity;
  const orgPenalty = q.org !== undefined && q.org !== c.org ? 0.5 : 0;
  if (q.name === c.name) return 1 + orgPenalty / 10;
  if (q.canonical === c.canonical) return 2 + orgPenalty;
  let best = Infinity;
  if (q.tokens.length < c.tokens.length && isSubsequence(q.tokens, c.tokens)) {
    best = 3 + 0.25 * (c.tokens.length - q.tokens.length);
  }
  const allowed = Math.max(2, Math.floor(q.canonical.length * 0.2));
  // The distance is at least the difference in length: only pairs that can be within `allowed` are computed.
  const canonicalClose = Math.abs(q.canonical.length - c.canonical.length) <= allowed;
  const nameClose = Math.abs(q.name.length - c.name.length) <= allowed && c.name.length <= 2 * MAX_SUGGEST_QUERY;
  if (canonicalClose || nameClose) {
    const distance = Math.min(canonicalClose ? editDistance(q.canonical, c.canonical) : Infinity, nameClose ? editDistance(q.name, c.name) : Infinity);
    if (distance <= allowed) best = Math.min(best, 3 + distance);
  }
  return best + orgPenalty;
}

/**
 * The `n` ids closest to `id`, closest first; ties keep the order of `ids` (so callers list preferred ids,
 * e.g. serverless ones, first). An empty array means nothing is close enough to suggest.
 */
export function suggest(id: string, ids: readonly string[], n = 3): string[] {
  if (id.length > MAX_SUGGEST_QUERY) return [];
  const scored: Array<{ id: string; score: number; order: number }> = [];
  const seen = new Set<string>();
  ids.forEach((candidate, order) => {
    if (seen.has(candidate)) return;
    seen.add(candidate);
    const score = similarity(id, candidate);
    if (Number.isFinite(score)) scored.push({ id: candidate, score, order });
  });
  scored.sort((a, b) => a.score - b.score || a.order - b.order);
  return scored.slice(0, Math.max(0, n)).map((entry) => entry.id);
}
