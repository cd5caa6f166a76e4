// Hot reload: requests in flight finish on the old pipeline, new ones use the new one, the old pipeline is closed
// once drained; an invalid config changes nothing. And the config file watcher behind `tether gateway --config`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayConfigError } from '../../src/gateway/index.js';
import { startGatewayService } from '../../src/cli/gateway-service.js';
import { fakeFactory, okJson } from './fake-pipeline.js';
import type { Responder } from './fake-pipeline.js';
import { UPSTREAM_KEY, call, chatBody, memoryLogger, startTestGateway, until } from './helpers.js';

describe('reload', () => {
  test('an in-flight request finishes on the old pipeline; new requests use the new one; the old one closes when drained', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const responder: Responder = async (request) => {
      if ((request.body as { hold?: boolean }).hold) await held;
      return okJson(request);
    };
    const t = await startTestGateway({ policies: { retries: { maxAttempts: 2 } } }, responder);
    try {
      const inflight = call(t.gateway, '/v1/chat/completions', { body: chatBody({ hold: true }) });
      assert.ok(await until(() => t.factory.built[0]!.requests.length === 1));

      await t.gateway.reload({ port: 0, upstream: { apiKey: UPSTREAM_KEY }, policies: { retries: { maxAttempts: 4 } } });
      assert.equal(t.factory.built.length, 2, 'a policy change builds a new pipeline');
      const [oldPipeline, newPipeline] = t.factory.built as [NonNullable<(typeof t.factory.built)[0]>, NonNullable<(typeof t.factory.built)[0]>];
      assert.deepEqual(newPipeline.settings.policies, { retries: { maxAttempts: 4 } });
      assert.equal(oldPipeline.closed, false, 'the old pipeline still has a request in flight');

      const fresh = await call(t.gateway, '/v1/chat/completions', { body: chatBody() });
      assert.equal(fresh.status, 200);
      assert.equal(newPipeline.requests.length, 1, 'the new request went to the new pipeline');
      assert.equal(oldPipeline.requests.length, 1);

      release();
      const finished = await inflight;
      assert.equal(finished.status, 200, 'the in-flight request was not dropped');
      assert.ok(await until(() => oldPipeline.closed), 'the old pipeline was closed once drained');
      assert.equal(newPipeline.closed, false);
    } finally {
      release();
      await t.gateway.close();
    }
    assert.equal(t.factory.built.every((p) => p.closed), true);
  });

  test('an invalid config is rejected naming the field, and the old one stays in force', async () => {
    const t = await startTestGateway({ aliases: { fast: 'a/b' } });
    try {
      await assert.rejects(
        t.gateway.reload({ port: 0, upstream: { apiKey: UPSTREAM_KEY }, clients: [{ token: 'short' }] }),
        (error: unknown) => error instanceof GatewayConfigError && error.message.includes('`clients[0].token`'),
      );
      assert.equal(t.gateway.config.aliases.get('fast'), 'a/b');
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 200, 'still no token needed');
      const metrics = await call(t.gateway, '/metrics');
      assert.match(metrics.text, /tether_gateway_config_reloads_total\{result="rejected"\} 1/);
    } finally {
      await t.gateway.close();
    }
  });

  test('a change that only touches aliases, routes or clients keeps the same pipeline', async () => {
    const t = await startTestGateway();
    try {
      await t.gateway.reload({ port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' }, aliases: { fast: 'x/y' }, clients: [{ token: 'client-token-new' }] });
      assert.equal(t.factory.built.length, 1);
      assert.equal(t.factory.built[0]!.closed, false);
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 401, 'the new clients apply at once');
      assert.equal((await call(t.gateway, '/v1/chat/completions', { token: 'client-token-new', body: chatBody({ model: 'fast' }) })).status, 200);
      assert.equal((t.factory.built[0]!.requests.at(-1)!.body as { model: string }).model, 'x/y');
      // A reload is how an operator says credit was added: keys stopped after a 402 may send again.
      assert.deepEqual(t.factory.built[0]!.resetKeys, [undefined]);
    } finally {
      await t.gateway.close();
    }
  });
});

describe('config file watching (startGatewayService)', () => {
  test('a changed file is reloaded; an invalid one is logged and ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-gw-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, `upstream:\n  apiKey: ${UPSTREAM_KEY}\n  baseUrl: http://127.0.0.1:9/v1\npolicies:\n  retries:\n    maxAttempts: 2\n`);
    const factory = fakeFactory();
    const { logger, text } = memoryLogger();
    const service = await startGatewayService({ configFile: file, port: 0, env: {}, logger, pipelineFactory: factory, reloadDebounceMs: 30 });
    try {
      assert.match(service.firstLine, /^tether gateway: http:\/\/127\.0\.0\.1:\d+\/v1 — upstream http:\/\/127\.0\.0\.1:9\/v1 \(key from upstream\.apiKey\)$/);
      assert.equal(service.emulator, undefined);

      writeFileSync(file, `upstream:\n  apiKey: ${UPSTREAM_KEY}\n  baseUrl: http://127.0.0.1:9/v1\npolicies:\n  retries:\n    maxAttempts: 5\n`);
      assert.ok(await until(() => factory.built.length === 2), 'the changed file was not reloaded');
      assert.deepEqual(factory.built[1]!.settings.policies, { retries: { maxAttempts: 5 } });

      writeFileSync(file, `upstream:\n  apiKey: ${UPSTREAM_KEY}\npolicies:\n  retries:\n    maxAttempts: "many"\n`);
      assert.ok(await until(() => text().includes('config change rejected')), 'the invalid file was not reported');
      assert.match(text(), /policies\.retries\.maxAttempts/);
      assert.equal(factory.built.length, 2);
      assert.equal((await call(service.gateway, '/v1/chat/completions', { body: chatBody() })).status, 200);
      assert.ok(!text().includes(UPSTREAM_KEY), 'the key reached the log');
    } finally {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
