// The pacing and breaker state a long-running front door saves for the debug bundle (the bundle runs in another
// process and cannot ask the gateway's memory). The shape is the pipeline's PipelineState plus when it was saved.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PipelineState } from '../pipeline/index.js';
import { defaultStatePath } from './paths.js';

export interface SavedState extends PipelineState {
  savedAt: string;
  pid: number;
}

/** Saves a state snapshot atomically (write then rename), so a reader never sees half a file. */
export function writeStateFile(state: PipelineState, path: string = defaultStatePath(), now: number = Date.now()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const saved: SavedState = { savedAt: new Date(now).toISOString(), pid: process.pid, pacing: state.pacing, breakers: state.breakers };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** The saved state, or undefined when there is none (or it is unreadable: the bundle says so). */
export function readStateFile(path: string = defaultStatePath()): { state?: SavedState; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { problem: `cannot read ${path} (${code ?? 'unreadable'})` };
  }
  try {
    const parsed = JSON.parse(text) as Partial<SavedState>;
    if (!Array.isArray(parsed.pacing) || !Array.isArray(parsed.breakers)) return { problem: `${path} is not a saved pipeline state` };
    return { state: parsed as SavedState };
  } catch {
    return { problem: `${path} is not valid JSON` };
  }
}
