// "Did you mean": rank known ids by how close they are to one that was not found. Pure. The distance is the
// catalog's (one edit distance for every "did you mean" tether prints).
import { editDistance } from '../catalog/index.js';

/** Ids longer than this are compared by their first part only (nobody types a longer one by hand). */
const MAX_COMPARED = 128;

export function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * All of `ids`, nearest to `id` first: ids that `id` is a prefix of (a truncated paste) or that are a prefix of
 * `id` (extra characters) come first, then by edit distance, then by the longer common prefix, then by id.
 * Case and surrounding whitespace are ignored; duplicates are dropped.
 */
export function nearestIds(id: string, ids: readonly string[]): string[] {
  const target = id.trim().toLowerCase().slice(0, MAX_COMPARED);
  const scored = [...new Set(ids)].map((candidate) => {
    const text = candidate.toLowerCase().slice(0, MAX_COMPARED);
    return {
      candidate,
      prefixMatch: target !== '' && (text.startsWith(target) || target.startsWith(text)),
      distance: editDistance(target, text),
      prefix: commonPrefixLength(target, text),
    };
  });
  scored.sort(
    (x, y) =>
      Number(y.prefixMatch) - Number(x.prefixMatch) ||
      x.distance - y.distance ||
      y.prefix - x.prefix ||
      (x.candidate < y.candidate ? -1 : x.candidate > y.candidate ? 1 : 0),
  );
  return scored.map((s) => s.candidate);
}
