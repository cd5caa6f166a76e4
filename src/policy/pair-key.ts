// Keys made of two strings (API key × model), built once per pair and handed out again. A Map lookup with a fresh
// concatenation hashes the whole joined string on every request; the same string object keeps its hash.
export class PairKeys {
  private readonly byFirst = new Map<string, Map<string, string>>();
  private size = 0;

  /** `limit`: pairs kept before the table starts over (an unbounded stream of model ids must not grow it). */
  constructor(
    private readonly join: (first: string, second: string) => string,
    private readonly limit = 10_000,
  ) {}

  get(first: string, second: string): string {
    let inner = this.byFirst.get(first);
    if (inner === undefined) {
      inner = new Map();
      this.byFirst.set(first, inner);
    }
    let key = inner.get(second);
    if (key === undefined) {
      key = this.join(first, second);
      if (this.size >= this.limit) {
        this.byFirst.clear();
        this.size = 0;
        inner = new Map();
        this.byFirst.set(first, inner);
      }
      inner.set(second, key);
      this.size += 1;
    }
    return key;
  }
}
