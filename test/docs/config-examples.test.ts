// Config files shown in the docs are valid configs: a ```yaml gateway-config block must pass the gateway's schema,
// a ```yaml emulator-config block the emulator's, so that a renamed or removed field cannot linger in the docs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseEmulatorConfig } from '../../src/emulator/config.js';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { codeBlocks } from './examples.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const CHECKS: Record<string, (value: unknown, source: string) => unknown> = {
  'gateway-config': parseGatewayConfig,
  'emulator-config': parseEmulatorConfig,
};

const blocks = pages.flatMap((page) =>
  codeBlocks(readFileSync(join(ROOT, page), 'utf8'))
    .filter((b) => CHECKS[b.info] !== undefined)
    .map((b) => ({ page, ...b })),
);

test('the docs show config files to check', () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length}`);
});

for (const block of blocks) {
  test(`${block.page}:${block.line} is a valid ${block.info}`, () => {
    const check = CHECKS[block.info]!;
    assert.doesNotThrow(() => check(parse(block.code), `${block.page}:${block.line}`));
  });
}

test('a config with a field the schema does not know is refused (so the check can fail)', () => {
  assert.throws(() => parseGatewayConfig(parse('policies:\n  retries: { attempts: 3 }\n')), /attempts/);
  assert.throws(() => parseEmulatorConfig(parse('batches:\n  steps: 100\n')), /steps/);
});
