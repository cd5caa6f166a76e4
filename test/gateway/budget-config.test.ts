// clients[].budget in the gateway config: a bad one is refused with the field named and what it must be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayConfigError, resolveGatewayConfig } from '../../src/gateway/config.js';

const client = (budget: unknown): unknown => ({ clients: [{ name: 'team', token: 'tok-team-0001', budget }] });

test('a client budget is kept as given', () => {
  const config = resolveGatewayConfig(client({ usd: 5, per: 'month' }), {});
  assert.deepEqual(config.clients[0]?.budget, { usd: 5, per: 'month' });
});

test('a bad budget names its field', () => {
  assert.throws(() => resolveGatewayConfig(client({ usd: 5, per: 'week' }), {}), (error: unknown) => error instanceof GatewayConfigError && /clients\[0\]\.budget\.per/.test(error.message));
  assert.throws(() => resolveGatewayConfig(client({ usd: 0, per: 'day' }), {}), (error: unknown) => error instanceof GatewayConfigError && /clients\[0\]\.budget\.usd/.test(error.message));
  assert.throws(() => resolveGatewayConfig(client({ usd: 1, per: 'day', currency: 'EUR' }), {}), GatewayConfigError);
});
