// What a user installs and how fast its CLI starts: packs the repository, installs the tarball for production into
// an empty project (dependencies' install scripts run, as for a user: better-sqlite3 builds here when no prebuilt
// binary can be fetched), and measures there:
//   installMB      du of the project's node_modules;
//   tarballMB      the tarball's size;
//   cliStartRatio  `tether explain --status 401 --json` over `node -e 0`, the median of paired runs' ratios;
//   exactFamilies  tokenizer families `tether tokens` counts exactly (of 8) from the installed package.
// Run: node --import tsx bench/package.ts [--runs N]   (about 3–5 minutes; the last line is one JSON object)
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TOKENIZER_FAMILIES } from '../src/tokens/index.js';
import { installTarball, packRepo, run } from '../test/package/helpers.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 3 || runs > 500) throw new Error('--runs must be an integer from 3 to 500');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function timed(args: string[], cwd: string): number {
  const started = performance.now();
  execFileSync(process.execPath, args, { cwd, stdio: 'ignore' });
  return performance.now() - started;
}

let started = performance.now();
const tarball = await packRepo();
const tarballMB = statSync(tarball).size / 1e6;
console.log(`packed ${tarball} (${tarballMB.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(0)} s`);

started = performance.now();
const project = await installTarball(tarball);
console.log(`installed for production in ${((performance.now() - started) / 1000).toFixed(0)} s`);
try {
  const modules = join(project, 'node_modules');
  const installMB = Number(execFileSync('du', ['-sk', modules], { encoding: 'utf8' }).split('\t')[0]) / 1024;
  const largest = execFileSync('sh', ['-c', 'du -sk * @*/* 2>/dev/null | sort -rn | head -8'], { cwd: modules, encoding: 'utf8' });
  console.log(`node_modules: ${installMB.toFixed(1)} MB; largest (KB):\n${largest.trimEnd()}`);

  const bin = join(modules, 'tether-together', 'bin', 'tether.js');
  const cli = [bin, 'explain', '--status', '401', '--json'];
  // Warm the file cache once, then pair each CLI start with a bare start so both see the same machine load.
  timed(['-e', '0'], project);
  timed(cli, project);
  const ratios: number[] = [];
  const bare: number[] = [];
  const tether: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = timed(['-e', '0'], project);
    const t = timed(cli, project);
    bare.push(b);
    tether.push(t);
    ratios.push(t / b);
  }
  const cliStartRatio = median(ratios);
  console.log(`start (median of ${runs}): node -e 0 ${median(bare).toFixed(0)} ms; tether explain --status 401 --json ${median(tether).toFixed(0)} ms`);

  let exactFamilies = 0;
  for (const family of TOKENIZER_FAMILIES) {
    const ran = await run(process.execPath, [bin, 'tokens', '--model', family, '--json', '-'], { cwd: project, input: 'How many tokens is this?' });
    const count = ran.code === 0 ? (JSON.parse(ran.stdout) as { exact: boolean; tokens: number }) : undefined;
    if (count?.exact === true) exactFamilies++;
    console.log(`${family.padEnd(12)} ${count === undefined ? `failed: ${ran.stderr.trim()}` : `${count.tokens} tokens, ${count.exact ? 'exact' : 'estimate'}`}`);
  }

  console.log(
    JSON.stringify({
      installMB: Math.round(installMB * 10) / 10,
      tarballMB: Math.round(tarballMB * 10) / 10,
      cliStartRatio: Math.round(cliStartRatio * 100) / 100,
      exactFamilies,
    }),
  );
} finally {
  rmSync(project, { recursive: true, force: true });
  rmSync(dirname(tarball), { recursive: true, force: true });
}
