#!/usr/bin/env bash
# The whole test job: type-check, lint, then every test. Starts what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npx eslint .
node scripts/run-tests.mjs "$@"
