// Builds dist/ for the package (run by `npm run build` and by `npm pack` through prepack):
//   dist/           ESM (tsc) with .d.ts — what the bin and `import` consumers load;
//   dist/cjs/       CommonJS for `require` consumers: each ESM file transpiled on its own by esbuild (no bundling,
//                   so every module, worker entry and data path stays where the ESM build has it), with the .d.ts
//                   copied beside (dist/cjs/package.json makes both CommonJS for Node and TypeScript);
//   dist/tokenizers the tokenizer files tether reads, brotli-compressed from the development packages
//                   (src/tokens/packing.ts);
//   dist/cli/main.cjs the CLI's dispatch and fast paths bundled into one CommonJS file (below): each ES module
//                   Node loads costs start-up time, and `tether explain` is meant to start about as fast as `node`.
// Why esbuild and not a second tsc: the sources use import.meta.url (data files, worker entries), which tsc refuses
// to emit as CommonJS; esbuild rewrites it per file to the URL of the ESM sibling, so both builds read the same
// data/ and dist/tokenizers/ files and start the same (ESM) worker threads.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, transform } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const cjs = join(dist, 'cjs');
const require = createRequire(join(root, 'package.json'));

async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

function step(label, started) {
  process.stderr.write(`build: ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

let started = performance.now();
await rm(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
} catch {
  // A package is never built from sources that do not type-check (tsc printed the errors above).
  process.stderr.write('build: tsc reported errors (above); nothing was packed\n');
  process.exit(1);
}
step('ESM and types (tsc)', started);

started = performance.now();
// dist/cli/main.cjs, what bin/tether.js runs: the CLI's dispatch and its fast paths (src/cli/main.ts) bundled as
// one CommonJS file, so `tether explain` loads a single file and never starts Node's ES module loader. Only
// program.js (commander and every command) stays outside, loaded with import() from the ES module build, and
// node: built-ins. The bundle holds its own copy of what it inlines (errors, UsageError…), which is safe because
// a fast path either runs its command in full or hands over before doing anything; a package import would break
// that (and its import.meta.url paths), so it fails the build instead, as does any esbuild warning.
const CLI_ENTRY = join(dist, 'cli', 'main.js');
const CLI_LAZY = join(dist, 'cli', 'program.js');
const fastPathOnly = {
  name: 'fast-path-only',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      if (args.path.startsWith('.') && join(args.resolveDir, args.path) === CLI_LAZY) return { path: args.path, external: true };
      if (args.path.startsWith('.')) return undefined;
      return { errors: [{ text: `${args.path} (imported by ${relative(dist, args.importer)}) would load beside the bundle; the CLI's fast paths may import only tether's own files and node: built-ins` }] };
    });
  },
};
const bundled = await build({
  entryPoints: [CLI_ENTRY],
  outfile: join(dist, 'cli', 'main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [fastPathOnly],
  logLevel: 'error',
});
if (bundled.warnings.length > 0) {
  process.stderr.write(`build: the CLI bundle has warnings: ${bundled.warnings.map((w) => w.text).join('; ')}\n`);
  process.exit(1);
}
step('CLI dispatch and fast paths bundled (dist/cli/main.cjs)', started);

started = performance.now();
// The CLI is ESM only (the bin imports it; its entry awaits at top level, which CommonJS cannot).
const esmFiles = (await filesUnder(dist)).filter(
  (file) => (file.endsWith('.js') || file.endsWith('.d.ts')) && !relative(dist, file).startsWith(`cli${sep}`),
);
await Promise.all(
  esmFiles.map(async (file) => {
    const target = join(cjs, relative(dist, file));
    await mkdir(dirname(target), { recursive: true });
    if (file.endsWith('.d.ts')) return copyFile(file, target);
    // The ESM sibling's URL, computed from where this file is at run time (the package may be anywhere).
    const toEsm = relative(dirname(target), file).split(sep).join('/');
    const banner =
      `const __importMetaUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(toEsm)})).href;\n` +
      `const __importMetaResolve = (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href;`;
    const { code } = await transform(await readFile(file, 'utf8'), {
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcefile: file,
      define: { 'import.meta.url': '__importMetaUrl', 'import.meta.resolve': '__importMetaResolve' },
      banner,
    });
    await writeFile(target, code);
  }),
);
await writeFile(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
step(`CommonJS (${esmFiles.length} files)`, started);

started = performance.now();
const { packTokenizers } = await import(pathToFileURL(join(dist, 'tokens', 'packing.js')).href);
let packed;
try {
  packed = await packTokenizers(join(dist, 'tokenizers'), (specifier) => require.resolve(specifier));
} catch (error) {
  // The tokenizer packages are development dependencies: a checkout installed with --omit=dev cannot pack.
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(`build: cannot pack the tokenizers (${detail}); install the development dependencies (npm ci) first\n`);
  process.exit(1);
}
const megabytes = packed.reduce((sum, file) => sum + file.bytes, 0) / 1e6;
step(`tokenizers (${packed.length} files, ${megabytes.toFixed(1)} MB)`, started);
