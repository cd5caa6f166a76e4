// Failure 1 of issue 15: a reload never switches client auth off. A truncated, emptied or comment-only config file
// is never a config, and a config that merely lacks `clients` while the running one has tokens is refused (logged
// at error level, the old config stays); `clients: []` with `allowAnonymous: true` is the explicit opt-out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayConfigError, loadGatewayConfigFile } from '../../src/gateway/index.js';
import { startGatewayService } from '../../src/cli/gateway-service.js';
import { fakeFactory } from './fake-pipeline.js';
import { UPSTREAM_KEY, call, chatBody, memoryLogger, sleep, startTestGateway, until } from './helpers.js';

const TOKEN = 'client-token-auth-1';
const BASE = { port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' } };

describe('a reload never switches auth off', () => {
  test('a config without clients is refused while the running one has tokens; the old one stays in force', async () => {
    const t = await startTestGateway({ clients: [{ name: 'app', token: TOKEN }] });
    try {
      await assert.rejects(t.gateway.reload({ ...BASE }), (error: unknown) => {
        assert.ok(error instanceof GatewayConfigError);
        assert.match(error.message, /without client tokens while the running one requires them \(1 clients\)/);
        assert.match(error.message, /`clients: \[\]` and `allowAnonymous: true`/);
        assert.ok(!error.message.includes(TOKEN));
        return true;
      });
      // `clients: []` alone is not enough either.
      await assert.rejects(t.gateway.reload({ ...BASE, clients: [] }), GatewayConfigError);
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 401, 'auth still on');
      assert.equal((await call(t.gateway, '/v1/chat/completions', { token: TOKEN, body: chatBody() })).status, 200);
      assert.match((await call(t.gateway, '/metrics')).text, /tether_gateway_config_reloads_total\{result="rejected"\} 2/);
    } finally {
      await t.gateway.close();
    }
  });

  test('the explicit opt-out (`clients: []` with `allowAnonymous: true`) switches auth off', async () => {
    const t = await startTestGateway({ clients: [{ token: TOKEN }] });
    try {
      await t.gateway.reload({ ...BASE, clients: [], allowAnonymous: true });
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 200);
      // And `allowAnonymous` with tokens is a contradiction, said as such.
      await assert.rejects(t.gateway.reload({ ...BASE, clients: [{ token: TOKEN }], allowAnonymous: true }), /`allowAnonymous`: true only goes with `clients: \[\]`/);
    } finally {
      await t.gateway.close();
    }
  });

  test('an empty or comment-only file is never a config, at start-up either', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-gw-empty-'));
    try {
      for (const [name, text] of [
        ['empty.yaml', ''],
        ['blank.yaml', '  \n\n'],
        ['comments.yaml', '# clients moved to the vault\n# nothing here yet\n'],
        ['null.yaml', '~\n'],
        ['empty.json', ''],
        ['null.json', 'null'],
      ] as const) {
        writeFileSync(join(dir, name), text);
        assert.throws(() => loadGatewayConfigFile(join(dir, name)), (error: unknown) => {
          assert.ok(error instanceof GatewayConfigError, name);
          assert.match(error.message, new RegExp(`${name.replace('.', '\\.')} (is empty|holds no settings)`), name);
          return true;
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tether gateway --config: a truncated file is refused at error level, and auth holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-gw-trunc-'));
    const file = join(dir, 'gateway.yaml');
    const full = `upstream:\n  apiKey: ${UPSTREAM_KEY}\n  baseUrl: http://127.0.0.1:9/v1\nclients:\n  - name: app\n    token: ${TOKEN}\n`;
    writeFileSync(file, full);
    const { logger, text } = memoryLogger();
    const service = await startGatewayService({ configFile: file, port: 0, env: {}, logger, pipelineFactory: fakeFactory(), reloadDebounceMs: 20 });
    const rejections = (): Array<Record<string, unknown>> =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'config change rejected; the old config stays in force');
    try {
      // `: > gateway.yaml`
      writeFileSync(file, '');
      assert.ok(await until(() => rejections().length === 1), 'the emptied file was not refused');
      assert.equal(rejections()[0]!.level, 50, 'logged at error level');
      assert.equal((await call(service.gateway, '/v1/chat/completions', { body: chatBody() })).status, 401);

      // Truncated after the upstream block: valid YAML, no clients.
      writeFileSync(file, `upstream:\n  apiKey: ${UPSTREAM_KEY}\n  baseUrl: http://127.0.0.1:9/v1\n`);
      assert.ok(await until(() => rejections().length === 2), 'the truncated file was not refused');
      assert.equal(rejections()[1]!.level, 50);
      assert.match(String(rejections()[1]!.error), /never switches auth off/);
      await sleep(50);
      assert.equal((await call(service.gateway, '/v1/chat/completions', { body: chatBody() })).status, 401, 'auth still on');
      assert.equal((await call(service.gateway, '/v1/chat/completions', { token: TOKEN, body: chatBody() })).status, 200);
      assert.ok(!text().includes(TOKEN) && !text().includes(UPSTREAM_KEY), 'a secret reached the log');
    } finally {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
