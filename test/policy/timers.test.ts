// Issue 15, failure 7 — the class, not the instance: a delay Node cannot keep (over 2^31 - 1 ms) fires after 1 ms,
// so a timer armed from a number tether did not write itself (a header, an option, a config value) can turn into a
// busy loop. Every timer in src/ is armed with a literal, a named constant, or a value through clampTimerMs (or a
// clock whose setTimeout clamps). The emulator (issue 11's own scope) and the dashboard's browser script are not
// scanned.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = new URL('../../src/', import.meta.url).pathname;
const SKIPPED = ['emulator/', 'gateway/ui/'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The delay argument of each `setTimeout(…, delay)` / `setInterval(…, delay)` call: the text after the last top-level comma. */
function delays(source: string): Array<{ line: number; delay: string }> {
  const found: Array<{ line: number; delay: string }> = [];
  // `clock.setTimeout(…)` is the policies' Clock, whose system implementation clamps (policy/clock.ts).
  const call = /(?<![.\w])(setTimeout|setInterval)\(/g;
  for (let match = call.exec(source); match !== null; match = call.exec(source)) {
    let depth = 1;
    let lastComma = -1;
    let i = match.index + match[0].length;
    for (; i < source.length && depth > 0; i++) {
      const char = source[i];
      if (char === '(' || char === '[' || char === '{') depth++;
      else if (char === ')' || char === ']' || char === '}') depth--;
      else if (char === ',' && depth === 1) lastComma = i;
    }
    if (lastComma < 0) continue; // a declaration or a call without a delay
    const delay = source.slice(lastComma + 1, i - 1).trim();
    if (/^\w+\s*:\s*number$/.test(delay)) continue; // a method signature (the Clock interface), not a call
    found.push({ line: source.slice(0, match.index).split('\n').length, delay });
  }
  return found;
}

/** A delay that cannot overflow: a number literal, an UPPER_CASE constant (or arithmetic on them), or a clamped value. */
const SAFE = /^(?:[\d_]+|[A-Z][A-Z0-9_]*(?:\s*[*/+-]\s*[\dA-Z_]+)*|clampTimerMs\(.*\)|Math\.min\((?:\d[\d_]*|[A-Z][A-Z0-9_]*)\s*,.*\)|Math\.min\(.*,\s*(?:\d[\d_]*|[A-Z][A-Z0-9_]*)\s*\))$/s;

/**
 * Delays bounded where they are set rather than where the timer is armed, each with the reason (owners of these
 * files may route them through clampTimerMs instead).
 */
const BOUNDED_ELSEWHERE: Readonly<Record<string, string>> = {
  'gateway/overload.ts': 'sampleIntervalMs: the config schema caps it at 10 s',
  'cli/gateway-service.ts': 'reloadDebounceMs: a programmatic option of the runner (default 200 ms), not a config value',
};

describe('timers in src/', () => {
  test('every setTimeout / setInterval delay is a constant or goes through clampTimerMs', () => {
    const offenders: string[] = [];
    for (const path of files(SRC)) {
      const name = relative(SRC, path);
      if (SKIPPED.some((prefix) => name.startsWith(prefix)) || name in BOUNDED_ELSEWHERE) continue;
      for (const { line, delay } of delays(readFileSync(path, 'utf8'))) {
        if (!SAFE.test(delay)) offenders.push(`src/${name}:${line}: ${delay}`);
      }
    }
    assert.deepEqual(offenders, [], `timers armed with an unclamped delay:\n${offenders.join('\n')}`);
  });
});
