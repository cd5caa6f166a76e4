#!/usr/bin/env node
/* global require, __dirname */
// A development checkout (src/ present) runs the TypeScript source through tsx; an installed package runs dist/.
// CommonJS (bin/package.json says so), as is dist/cli/main.cjs, the dispatch and `tether explain`'s fast path
// bundled in one file: the commonest quick call then starts without Node's ES module loader (≈5 ms of a ≈60 ms
// start). Commands that need commander load the ES module build from there (dist/cli/program.js).
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const root = join(__dirname, '..');
const source = join(root, 'src', 'cli', 'main.ts');
if (existsSync(source)) {
  import('tsx/esm/api').then(({ register }) => {
    register();
    return import(pathToFileURL(source).href);
  });
} else {
  require(join(root, 'dist', 'cli', 'main.cjs'));
}
