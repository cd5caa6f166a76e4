// The emulator's check of a batch input file during VALIDATING: JSONL of `{"custom_id", "body"}` lines, unique
// custom_ids of at most 64 characters, at most `maxLines` requests. A bad file FAILS the whole batch with the
// first problem and its line number; problems inside a body (schema, model) are per-request errors instead.
import { MAX_JSON_DEPTH, jsonDeeperThan } from '../json-limits.js';

export interface BatchInputLine {
  customId: string;
  body: unknown;
}

export type BatchInputCheck = { ok: true; lines: BatchInputLine[] } | { ok: false; error: string };

const MAX_CUSTOM_ID = 64;

function lineProblem(text: string, seen: Set<string>): { line?: BatchInputLine; problem?: string } {
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) return { problem: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'is not a JSON object' };
  const { custom_id: id, body } = value as { custom_id?: unknown; body?: unknown };
  if (typeof id !== 'string' || id === '') return { problem: 'has no custom_id (a non-empty string)' };
  if (id.length > MAX_CUSTOM_ID) return { problem: `has a custom_id longer than ${MAX_CUSTOM_ID} characters` };
  if (seen.has(id)) return { problem: `repeats custom_id "${id}"` };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { problem: 'has no body object' };
  seen.add(id);
  return { line: { customId: id, body } };
}

export function checkBatchInput(bytes: Buffer, maxLines: number): BatchInputCheck {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, error: 'Invalid input file: it is not UTF-8 text.' };
  }
  const lines: BatchInputLine[] = [];
  const seen = new Set<string>();
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = (rows[i] as string).replace(/\r$/, '');
    if (row.trim() === '') continue;
    const { line, problem } = lineProblem(row, seen);
    if (problem) return { ok: false, error: `Invalid input file: line ${i + 1} ${problem}.` };
    if (line) lines.push(line);
    if (lines.length > maxLines) return { ok: false, error: `Invalid input file: a batch holds at most ${maxLines} requests; split the file.` };
  }
  if (lines.length === 0) return { ok: false, error: 'Invalid input file: it holds no requests.' };
  return { ok: true, lines };
}
