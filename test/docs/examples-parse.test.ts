// The docs examples test's own rules: how console blocks are read and how output is compared, so that a page
// cannot pass by accident (an elision that swallows everything, a missing exit mark).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeBlocks, compareOutput, consoleCommands, mapPorts } from './examples.js';

const PAGE = [
  '# Title',
  '',
  '```console',
  '$ tether emulator --port 4010 &',
  'Together API emulator: TOGETHER_BASE_URL=http://127.0.0.1:4010/v1 TOGETHER_API_KEY=emulator-key',
  '…',
  '$ tether explain --status 401 \\',
  '    --json   # exit 0',
  '{',
  '…',
  '}',
  '$ tether validate train.jsonl   # exit 1',
  'train.jsonl: INVALID, … errors',
  '',
  '```',
  '',
  '```ts',
  "console.log('hi');",
  '```',
].join('\n');

test('console blocks: commands with continuation lines, exit marks, background servers and their output', () => {
  const blocks = codeBlocks(PAGE);
  assert.deepEqual(blocks.map((b) => [b.lang, b.line]), [['console', 4], ['ts', 18]]);
  const commands = consoleCommands(blocks[0]!);
  assert.deepEqual(
    commands.map((c) => [c.line, c.command, c.exit, c.background, c.expected.length]),
    [
      [4, 'tether emulator --port 4010', 0, true, 2],
      [7, 'tether explain --status 401 \\\n    --json', 0, false, 3],
      [12, 'tether validate train.jsonl', 1, false, 1],
    ],
  );
  assert.throws(() => consoleCommands({ lang: 'console', info: '', line: 1, code: 'output before any command' }), /must start with a "\$ " command/);
  assert.throws(() => codeBlocks('```console\n$ tether --help\n'), /never closed/);
});

test('compareOutput: exact lines, … inside a line, … as any run of lines, and nothing extra at the end', () => {
  assert.equal(compareOutput(['done: 10 of 10 requests, $… spent'], ['done: 10 of 10 requests, $0.0001 spent']), undefined);
  assert.equal(compareOutput(['a', '…', 'z'], ['a', 'z']), undefined);
  assert.equal(compareOutput(['a', '…', 'z'], ['a', 'b', 'c', 'z']), undefined);
  assert.equal(compareOutput(['a  '], ['a']), undefined, 'trailing spaces are ignored');
  assert.match(compareOutput(['a'], ['a', 'b']) ?? '', /output line 2: expected the end of the output, got "b"/);
  assert.match(compareOutput(['a', 'b'], ['a']) ?? '', /expected "b", got the end of the output/);
  assert.match(compareOutput(['done: 10 of 10'], ['done: 9 of 10']) ?? '', /output line 1/);
  assert.match(compareOutput(['x…y'], ['x and z']) ?? '', /expected "x…y"/);
  assert.match(compareOutput(['a', '…', 'z'], ['a', 'b']) ?? '', /expected "z"/, 'an elision does not excuse a missing last line');
  assert.equal(compareOutput(['(a+b)*[c]'], ['(a+b)*[c]']), undefined, 'regex characters are literal');
  assert.notEqual(compareOutput(['(a+b)'], ['aab']), undefined);
});

test('mapPorts swaps whole port numbers only', () => {
  const ports = new Map([[4010, 51234]]);
  assert.equal(mapPorts('http://127.0.0.1:4010/v1 --port 4010 port 40100', ports), 'http://127.0.0.1:51234/v1 --port 51234 port 40100');
});
