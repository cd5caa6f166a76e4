// Issue 15 red-team pass, path tricks on the emulator: "//v1/models" parsed as host "v1" and path "/models", so the
// 404 named a path the client never sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { KEY, start } from './helpers.js';

describe('odd request targets', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await start();
  });
  after(() => emu.close());

  test('//v1/models is an unknown path named as sent, not a host "v1" and a path /models', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(emu.port, '127.0.0.1', () => socket.write(`GET //v1/models HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\nconnection: close\r\n\r\n`));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 404 /);
    assert.match(answer, /Unknown endpoint GET \/\/v1\/models\./);
  });
});
