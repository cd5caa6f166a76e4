// Shared helpers for the dataset validator's tests: in-memory checks through both paths, temp files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkChunk } from '../../src/datasets/chunk.js';
import { ReportBuilder } from '../../src/datasets/report.js';
import type { ValidationReport } from '../../src/datasets/report.js';
import { DEFAULT_RULE_OPTIONS } from '../../src/datasets/types.js';
import type { RuleOptions } from '../../src/datasets/types.js';

export function bytesOf(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

function reportVia(bytes: Uint8Array, options: RuleOptions, cap: number, collect: boolean): ValidationReport {
  const builder = new ReportBuilder(cap);
  builder.addChunk(checkChunk(bytes, { options, cap, final: true, collect }).result);
  return builder.build(bytes.length, options);
}

/**
 * The report for a file's content, checked in memory as one chunk. Runs it twice — with the fast path, and
 * with every line through the reference checks — and asserts both give the same report.
 */
export function checkContent(content: string | Uint8Array, options: Partial<RuleOptions> = {}, cap = 50): ValidationReport {
  const rules = { ...DEFAULT_RULE_OPTIONS, ...options };
  const bytes = bytesOf(content);
  const fast = reportVia(bytes, rules, cap, false);
  const reference = reportVia(bytes, rules, cap, true);
  assert.deepEqual(fast, reference, 'the fast path and the reference checks disagree');
  return fast;
}

/** A conversation line. */
export function conversation(...messages: unknown[]): string {
  return JSON.stringify({ messages });
}

export const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content });
export const assistant = (content: unknown): Record<string, unknown> => ({ role: 'assistant', content });

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): { dir: string; file: (name: string, content: string | Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tether-datasets-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function rulesOf(report: ValidationReport): string[] {
  return [...report.errors, ...report.warnings].map((i) => i.rule);
}
