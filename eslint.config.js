import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * DESIGN.md's module rules as data: the src/ modules each module may import (anything else under src/ is refused).
 * Dependencies point down the stages; errors and local-state depend on nothing; the gateway imports neither the
 * emulator nor batch; only the CLI imports the emulator (for `tether emulator` and the gateway's keyless mode), and
 * nothing imports the CLI.
 */
export const MODULE_IMPORTS = {
  errors: [],
  'local-state': [],
  'config-file': ['errors'],
  api: ['errors'],
  catalog: ['api', 'errors'],
  tokens: ['errors'],
  policy: ['errors'],
  tracing: ['policy', 'errors'],
  pipeline: ['api', 'catalog', 'errors', 'local-state', 'policy', 'tokens', 'tracing'],
  datasets: ['catalog', 'errors', 'tokens'],
  finetune: ['api', 'catalog', 'datasets', 'errors', 'policy', 'tokens'],
  batch: ['api', 'catalog', 'errors', 'finetune', 'local-state', 'pipeline', 'policy', 'tokens'],
  diagnostics: ['api', 'catalog', 'config-file', 'errors', 'local-state', 'pipeline', 'policy', 'tokens'],
  gateway: ['api', 'catalog', 'config-file', 'diagnostics', 'errors', 'local-state', 'pipeline', 'policy', 'tokens'],
  emulator: ['catalog', 'config-file', 'datasets', 'errors', 'tokens'],
  cli: ['api', 'batch', 'catalog', 'config-file', 'datasets', 'diagnostics', 'emulator', 'errors', 'finetune', 'gateway', 'local-state', 'pipeline', 'policy', 'tokens'],
};

/** Every TogetherError is built by errors/'s factories: which failure says what is decided in one place. */
const NEW_TOGETHER_ERROR = {
  selector: "NewExpression[callee.name='TogetherError']",
  message: "Build TogetherErrors with a factory in src/errors/ (e.g. src/errors/job-errors.ts), not with `new TogetherError` outside it.",
};

/**
 * One config block per module: its files may not import (statically or with import()) the modules not listed, and
 * outside errors/ may not write `new TogetherError`. (Both are `no-restricted-syntax`: a later block would replace
 * this one's list, so the two live in the same block.)
 */
function moduleRules() {
  const all = Object.keys(MODULE_IMPORTS);
  return Object.entries(MODULE_IMPORTS).map(([module, allowed]) => {
    const forbidden = all.filter((other) => other !== module && !allowed.includes(other));
    const regex = `^(\\.\\./)+(${forbidden.join('|')})(/|$)`;
    const message = `DESIGN.md's module rules: src/${module}/ may import only ${allowed.length ? allowed.join(', ') : 'no other module'} (see MODULE_IMPORTS in eslint.config.js and docs/architecture.md).`;
    return {
      files: [`src/${module}/**/*.ts`],
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
        'no-restricted-syntax': [
          'error',
          { selector: `ImportExpression[source.value=/${regex.replace(/\//g, '\\/')}/]`, message },
          ...(module === 'errors' ? [] : [NEW_TOGETHER_ERROR]),
        ],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'artifacts/', 'bench/.data/', '.bench-dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', setImmediate: 'readonly', structuredClone: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...moduleRules(),
  { files: ['src/*.ts'], rules: { 'no-restricted-syntax': ['error', NEW_TOGETHER_ERROR] } },
);
