// Load time and throughput of each tokenizer family: `node --import tsx bench/tokens.ts [repeat]`.
// Input: the oracle's 5,000-character paragraph repeated (default 200x = 1,000,000 characters), one encode
// call, one warm-up then the median of 3 runs. A best case: repeated words hit the BPE caches.
import { readFileSync } from 'node:fs';
import { countTextTokens, loadTokenizer, TOKENIZER_FAMILIES } from '../src/tokens/index.js';

const repeat = Number(process.argv[2] ?? 200);
const paragraph = (JSON.parse(readFileSync(new URL('../test/fixtures/token-counts.json', import.meta.url), 'utf8')) as { paragraph: { text: string } })
  .paragraph.text;
const text = Array.from({ length: repeat }, () => paragraph).join(' ');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

console.log(`input: ${text.length.toLocaleString()} characters`);
console.log('family       load ms   tokens      tok/s');
for (const family of TOKENIZER_FAMILIES) {
  const status = await loadTokenizer(family);
  if (!status.available) {
    console.log(`${family.padEnd(12)} unavailable: ${status.reason}`);
    continue;
  }
  await countTextTokens(family, text);
  const runs: number[] = [];
  let tokens = 0;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    tokens = (await countTextTokens(family, text)).tokens;
    runs.push(performance.now() - started);
  }
  const rate = Math.round(tokens / (median(runs) / 1000));
  console.log(`${family.padEnd(12)} ${String(Math.round(status.loadMs ?? 0)).padStart(7)} ${String(tokens).padStart(8)} ${rate.toLocaleString().padStart(10)}`);
}
