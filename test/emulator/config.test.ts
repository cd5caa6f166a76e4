import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_EMULATOR_KEY,
  EmulatorConfigError,
  loadEmulatorConfigFile,
  parseFaultSpec,
  resolveEmulatorConfig,
  startEmulator,
} from '../../src/emulator/index.js';

function withFile(name: string, text: string, run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tether-emu-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    run(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('config', () => {
  test('no keys gives the default key with tier-1-like limits', () => {
    const config = resolveEmulatorConfig({});
    assert.deepEqual(config.keys, [
      { key: DEFAULT_EMULATOR_KEY, name: 'default', requestsPerSecond: 10, tokensPerMinute: 200_000, creditsUsd: 5, tier: 1 },
    ]);
    assert.equal(config.port, 0);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.logLevel, 'silent');
  });

  test('configured keys get names and the default limits for what they leave out', () => {
    const config = resolveEmulatorConfig({ keys: [{ key: 'a', requestsPerSecond: 2 }, { key: 'b', name: 'bee', tier: 0 }] });
    assert.deepEqual(
      config.keys.map((k) => [k.name, k.requestsPerSecond, k.tier]),
      [
        ['key-1', 2, 1],
        ['bee', 10, 0],
      ],
    );
    assert.throws(() => resolveEmulatorConfig({ keys: [{ key: 'a' }, { key: 'a' }] }), /`keys\[1\]\.key`: the same key appears twice/);
  });

  test('a YAML file loads; invalid fields are named', () => {
    withFile('emu.yaml', 'seed: 7\nkeys:\n  - key: k1\n    requestsPerSecond: 2\nfaults:\n  - kind: status\n    status: 503\n    rate: 0.5\n', (path) => {
      const file = loadEmulatorConfigFile(path);
      assert.equal(file.seed, 7);
      assert.deepEqual(file.faults, [{ kind: 'status', status: 503, rate: 0.5 }]);
    });
    withFile('bad.yaml', 'keys:\n  - key: k1\n    requestsPerSecond: -1\n', (path) => {
      assert.throws(() => loadEmulatorConfigFile(path), (error: unknown) => {
        assert.ok(error instanceof EmulatorConfigError);
        assert.match(error.message, /bad\.yaml is invalid: `keys\[0\]\.requestsPerSecond`: Too small/);
        return true;
      });
    });
    withFile('typo.json', '{"keys": [{"key": "k", "requestPerSecond": 5}]}', (path) => {
      assert.throws(() => loadEmulatorConfigFile(path), /unknown field `requestPerSecond` in `keys\[0\]`/);
    });
    withFile('fault.json', '{"faults": [{"kind": "stream_cut"}]}', (path) => {
      assert.throws(() => loadEmulatorConfigFile(path), /`faults\[0\]\.afterChunks`/);
    });
    withFile('broken.json', '{"seed": ', (path) => {
      assert.throws(() => loadEmulatorConfigFile(path), /broken\.json is not valid JSON at line 1, column \d+/);
    });
    withFile('keyline.yaml', 'keys:\n  - key: "emulator-secret-key-42" x\n', (path) => {
      assert.throws(
        () => loadEmulatorConfigFile(path),
        (error: unknown) => {
          assert.match((error as Error).message, /keyline\.yaml is not valid YAML at line 2, column \d+/);
          assert.ok(!(error as Error).message.includes('emulator-secret-key-42'), (error as Error).message);
          return true;
        },
      );
    });
    assert.throws(() => loadEmulatorConfigFile('/no/such/emulator.yaml'), /Cannot read the emulator config .*emulator\.yaml \(ENOENT\)/);
  });

  test('startEmulator rejects invalid options before listening', async () => {
    await assert.rejects(startEmulator({ latencyMs: -5 } as never), /`latencyMs`/);
    await assert.rejects(startEmulator({ keys: [{ key: '' }] } as never), /`keys\[0\]\.key`/);
  });
});

describe('compact fault specs', () => {
  test('parse each kind', () => {
    assert.deepEqual(parseFaultSpec('status=503,rate=1,model=meta-llama/Llama-3.3-70B-Instruct-Turbo'), {
      kind: 'status',
      status: 503,
      rate: 1,
      model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    });
    assert.deepEqual(parseFaultSpec('status=500,rate=0.3,key=ci,message=kaput'), { kind: 'status', status: 500, rate: 0.3, key: 'ci', body: 'kaput' });
    assert.deepEqual(parseFaultSpec('credits=100'), { kind: 'credits', afterRequests: 100 });
    assert.deepEqual(parseFaultSpec('latency=200,jitter=50'), { kind: 'latency', ms: 200, jitterMs: 50 });
    assert.deepEqual(parseFaultSpec('reset=0.1'), { kind: 'reset', rate: 0.1 });
    assert.deepEqual(parseFaultSpec('reset,model=m'), { kind: 'reset', model: 'm' });
    assert.deepEqual(parseFaultSpec('stream_cut=3'), { kind: 'stream_cut', afterChunks: 3 });
    assert.deepEqual(parseFaultSpec('slow_stream=25'), { kind: 'slow_stream', chunkDelayMs: 25 });
    assert.deepEqual(parseFaultSpec('stall'), { kind: 'stall' });
    assert.deepEqual(parseFaultSpec('stall=2,rate=0.5'), { kind: 'stall', afterChunks: 2, rate: 0.5 });
    assert.deepEqual(parseFaultSpec('status=500,path=/v1/models'), { kind: 'status', status: 500, path: '/v1/models' });
    assert.deepEqual(parseFaultSpec('{"kind":"latency","ms":5}'), { kind: 'latency', ms: 5 });
  });

  test('bad specs say what is wrong', () => {
    assert.throws(() => parseFaultSpec('explode=1'), /unknown kind "explode"/);
    assert.throws(() => parseFaultSpec('status=abc'), /`status` must be a number/);
    assert.throws(() => parseFaultSpec('status=503,colour=red'), /"colour=red" is not an option/);
    assert.throws(() => parseFaultSpec('status=503,rate=2'), /`rate`: Too big/);
    assert.throws(() => parseFaultSpec('stream_cut'), /`afterChunks`/);
    assert.throws(() => parseFaultSpec('{"kind":'), /not valid JSON/);
    assert.throws(() => parseFaultSpec(''), /empty/);
  });
});
