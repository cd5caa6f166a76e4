// The fast path's parsing against commander's (src/cli/option-table.ts): for any argument list after
// `tether explain`, either the fast path declines it (commander then parses it, as before) or commander would have
// called the action with exactly the same options. Every argument list that ever disagreed stays in
// test/fixtures/fuzz/explain-args-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { registerCommands } from '../../src/cli/commands/index.js';
import { EXPLAIN_OPTIONS } from '../../src/cli/commands/explain.js';
import { parseOptionTable } from '../../src/cli/option-table.js';
import type { OptionValues } from '../../src/cli/option-table.js';
import { createProgram } from '../../src/cli/program.js';

const SEED = 20261207;

interface Case {
  note: string;
  args: string[];
}

/** The options commander hands `tether explain`'s action for these arguments, or undefined if it refuses them. */
async function viaCommander(args: readonly string[]): Promise<OptionValues | undefined> {
  const argv = ['node', 'tether', 'explain', ...args];
  const program = createProgram().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  await registerCommands(program, argv);
  let seen: OptionValues | undefined;
  const explain = program.commands.find((command) => command.name() === 'explain');
  assert.ok(explain !== undefined);
  explain.action((options: OptionValues) => {
    seen = { ...options };
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return undefined; // help, version or a usage error: the fast path must decline
    throw error;
  }
  return seen;
}

/** The property: a list the fast path takes is one commander reads the same way. True when the fast path took it. */
async function agrees(args: readonly string[]): Promise<boolean> {
  const fast = parseOptionTable(EXPLAIN_OPTIONS, args);
  if (fast === undefined) return false;
  assert.deepEqual(fast, await viaCommander(args), `tether explain ${JSON.stringify(args)}`);
  return true;
}

const valueOption = fc.constantFrom('--status', '--body', '-H', '--header', '--response', '--network', '--model', '--key-source');
/** Values, including the ones commander treats specially (its root's -V/--version, help, `--`, dashes). */
const value = fc.oneof(
  fc.constantFrom('401', '429', '500', 'abc', 'retry-after: 2', '{"error":{"message":"m"}}', '@body.json', '-', '@-', 'env', ''),
  fc.constantFrom('-V', '--version', '-h', '--help', '--', '-1', '--json', '-Hx', '--status=1', '-Vx', 'explain', 'help'),
  fc.string({ maxLength: 8 }),
);
const token = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(valueOption, value).map(([option, v]) => [option, v]) },
  { weight: 2, arbitrary: fc.tuple(valueOption, value).map(([option, v]) => [option.startsWith('--') ? `${option}=${v}` : `${option}${v}`]) },
  { weight: 2, arbitrary: fc.constant(['--json']) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('-V', '--version', '-h', '--help', '--', '-', '--json=1', '--json=', '--no-json', '--bogus', '-x', '-1', '--=x', '-Vx', '-jV', 'extra', 'help', '--status')
      .map((single) => [single]),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((single) => [single]) },
);
const argLists = fc.array(token, { maxLength: 5 }).map((tokens) => tokens.flat());

describe('tether explain: the fast path parses as commander does', () => {
  const corpus = JSON.parse(readFileSync('test/fixtures/fuzz/explain-args-corpus.json', 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note}`, async () => {
      await agrees(c.args);
    });
  }

  test('plain argument lists are taken by the fast path, with commander’s values', async () => {
    for (const args of [
      ['--status', '401', '--json'],
      ['--status=429', '-H', 'retry-after: 2', '--header=x-request-id: r1', '-Hx-a: b', '--body', '{}'],
      ['--network', 'ECONNRESET', '--model', 'm', '--model', 'n'],
      ['--response', '-', '--key-source', 'env', '--json', '--json'],
      [],
    ]) {
      assert.equal(await agrees(args), true, `the fast path takes ${JSON.stringify(args)}`);
    }
    assert.deepEqual(parseOptionTable(EXPLAIN_OPTIONS, ['--status', '401', '-H', 'a: 1', '-H', 'b: 2']), { header: ['a: 1', 'b: 2'], status: '401' });
  });

  test('help, version, unknown options, positionals and missing values are left to commander', () => {
    for (const args of [['--help'], ['-h'], ['--status'], ['--status', '-V'], ['--model', '--version'], ['--bogus'], ['extra'], ['--'], ['--json=1'], ['-Vx']]) {
      assert.equal(parseOptionTable(EXPLAIN_OPTIONS, args), undefined, JSON.stringify(args));
    }
  });

  test('an options table the fast parser cannot read exactly is refused when it is read', () => {
    for (const flags of ['--level [n]', '--no-color', '--files <paths...>', '-ab, --both']) {
      assert.throws(() => parseOptionTable([{ flags, description: '' }], []), /unsupported flags/);
    }
    assert.throws(() => parseOptionTable([{ flags: '--flag', description: '', repeatable: true }], []), /repeatable but takes no value/);
  });

  test('any argument list: declined, or read exactly as commander reads it', async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(argLists, async (args) => {
        if (await agrees(args)) taken++;
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 6000 },
    );
    assert.ok(taken >= 30, `the fast path took ${taken} of the generated lists: the property must exercise it`);
  });
});
