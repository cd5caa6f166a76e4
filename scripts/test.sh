#!/usr/bin/env bash
# The whole test job: system tools, type-check, lint, then every test. Pass test paths to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
node scripts/run-tests.mjs "$@"
