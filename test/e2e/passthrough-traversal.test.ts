// Issue 15 red-team finding: the gateway forwards every /v1/* path it does not model to Together, with the upstream
// key. A path with dot segments (`/v1/../x`, `/v1/%2e%2e/x`) or an encoded slash was forwarded as written, and an
// upstream that normalizes it served a path outside /v1 with the gateway's key: through the gateway, a client reached
// the emulator's admin API (`/_emulator/faults`). Such paths are now refused before anything is sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { KEYS, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const TOKEN = 'traversal-client-token-1';

/** A request with its path exactly as written (fetch would normalize the dot segments away). */
function raw(port: number, method: string, path: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        `${method} ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      ),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text }));
    socket.on('error', reject);
  });
}

describe('gateway pass-through never leaves /v1', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  before(async () => {
    emu = await startTestEmulator();
    gateway = await createGateway({ port: 0, logLevel: 'silent', upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main }, clients: [{ name: 't', token: TOKEN }] }, { env: {} });
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  const fault = JSON.stringify([{ kind: 'status', status: 503 }]);
  for (const path of ['/v1/../_emulator/faults', '/v1/%2e%2e/_emulator/faults', '/v1/%2E%2E/_emulator/faults', '/v1/files/..%2F..%2F_emulator/faults', '/v1/./../_emulator/faults', '/v1/files\\..\\..\\_emulator/faults', '/v1//_emulator/faults']) {
    test(`${path} is refused, and nothing reaches upstream`, async () => {
      const reply = await raw(gateway.port, 'POST', path, fault);
      assert.equal(reply.status, 400, reply.text.slice(0, 300));
      assert.match(reply.text, /"code":"unsafe_path"/);
      assert.deepEqual(emu.config.faults, [], 'no fault was installed through the gateway');
    });
  }

  test('plain pass-through paths still work', async () => {
    const reply = await raw(gateway.port, 'GET', '/v1/files');
    assert.equal(reply.status, 200, reply.text.slice(0, 300));
  });
});
