// docs/package.md's entry-point table names what each import of the package gives: every name it lists must be
// exported by that entry point's source (a name moved elsewhere, like the gateway's service start, fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const ENTRY_SOURCES: Record<string, string> = {
  'tether-together': 'src/index.ts',
  'tether-together/emulator': 'src/emulator/index.ts',
  'tether-together/gateway': 'src/gateway/index.ts',
};

/** The table's rows: entry point → the identifiers written in backticks in its "what" cell. */
function documentedNames(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readFileSync('docs/package.md', 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const entry = /^`(tether-together[^`]*)`$/.exec(cells[1] ?? '')?.[1];
    if (entry === undefined || cells[2] === undefined) continue;
    const names = [...cells[2].matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((match) => match[1]!);
    rows.set(entry, names);
  }
  return rows;
}

test('every name docs/package.md lists for an entry point is exported there', async () => {
  const rows = documentedNames();
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ENTRY_SOURCES).sort());
  for (const [entry, names] of rows) {
    const path = ENTRY_SOURCES[entry]!;
    const runtime = (await import(`../../${path}`)) as Record<string, unknown>;
    const source = readFileSync(path, 'utf8');
    for (const name of names) {
      // Functions and constants must be runtime exports; a PascalCase name may be a type, exported by name.
      const exported = name in runtime || (/^[A-Z][a-z]/.test(name) && new RegExp(`\\b${name}\\b`).test(source));
      assert.ok(exported, `docs/package.md lists \`${name}\` for ${entry}, but ${path} does not export it`);
    }
  }
});
