// Shared by the finetune tests: an emulator with fast fine-tune stages, a transport to it, temp dataset files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../../src/api/index.js';
import type { Transport } from '../../src/api/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/index.js';

export const KEY = 'tk-finetune-test';
export const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference';
export const GOOD_LINE = '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}\n';
/** Fails tether's validator (empty conversation) and the emulator's check too. */
export const BAD_LINE = '{"messages":[]}\n';
/** Mixes two formats: refused by tether's validator and by the emulator's server-side check. */
export const MIXED = `${GOOD_LINE}{"text":"plain text line"}\n`;

export interface Harness {
  emu: RunningEmulator;
  transport: Transport;
  dir: string;
  /** Writes `content` to a temp file and returns its path. */
  file(name: string, content: string | Uint8Array): string;
  close(): Promise<void>;
}

export async function harness(options: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator({ port: 0, keys: [{ key: KEY, name: 'main' }], fineTuneStepMs: 30, ...options });
  const transport = createTransport({ baseUrl: emu.baseUrl, apiKey: KEY });
  const dir = mkdtempSync(join(tmpdir(), 'tether-finetune-'));
  return {
    emu,
    transport,
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    async close() {
      await transport.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Requests the emulator saw on paths starting with `prefix`. */
export function requestsTo(emu: RunningEmulator, prefix: string): number {
  return Object.entries(emu.stats().byPath)
    .filter(([path]) => path.startsWith(prefix))
    .reduce((sum, [, n]) => sum + n, 0);
}
