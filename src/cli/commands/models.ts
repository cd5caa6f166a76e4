// `tether models [--type T] [--search TEXT]` lists Together's live models (merged with the bundled snapshot);
// `tether models resolve ID` says whether an id is usable, and if not why and what to use instead.
import type { Command } from 'commander';
import { createTransport, listModels, type Transport } from '../../api/index.js';
import { createCatalog, filterModels, type Catalog, type CatalogModel, type Resolution } from '../../catalog/index.js';
import { isTogetherError } from '../../errors/index.js';
import { resolveApiKey } from '../api-options.js';
import { EXIT_FINDING, EXIT_OK, UsageError } from '../exit-codes.js';
import { printErr, printJson, printOut } from '../output.js';

interface ConnectionOptions {
  baseUrl?: string;
  apiKey?: string;
  offline?: boolean;
  json?: boolean;
}

interface ListOptions extends ConnectionOptions {
  type?: string;
  search?: string;
}

interface ResolveOptions extends ConnectionOptions {
  allowSuccessor?: boolean;
  tier?: string;
}

function addConnectionOptions(command: Command): Command {
  return command
    .option('--base-url <url>', 'API base URL (default: TOGETHER_BASE_URL, else https://api.together.ai/v1)')
    .option('--api-key <key>', 'API key (default: TOGETHER_API_KEY)')
    .option('--offline', 'use the bundled catalog snapshot instead of the live list (no key needed)')
    .option('--json', 'print JSON');
}


function openTransport(options: ConnectionOptions, key: string): Transport {
  try {
    return createTransport({ baseUrl: options.baseUrl, apiKey: key });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A catalog over the live list, or over the snapshot alone with --offline. */
function openCatalog(options: ConnectionOptions, accountTier?: number): { catalog: Catalog; close: () => Promise<void> } {
  if (options.offline) {
    const catalog = createCatalog({ fetchModels: () => Promise.reject(new Error('offline: the live list was not requested')), accountTier });
    return { catalog, close: async () => catalog.close() };
  }
  // The key itself is never printed.
  const { key, source } = resolveApiKey(options, process.env, 'or use --offline for the bundled snapshot');
  const transport = openTransport(options, key);
  const catalog = createCatalog({ fetchModels: (signal) => listModels(transport, { signal, keySource: source }), accountTier });
  return {
    catalog,
    close: async () => {
      catalog.close();
      await transport.close();
    },
  };
}

function errorReport(error: unknown): { text: string; json: unknown } {
  if (isTogetherError(error)) {
    return { text: `${error.message}\n  cause: ${error.cause}\n  fix:   ${error.fix}`, json: error.toJSON() };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { text: message, json: { message } };
}

function price(model: CatalogModel): string {
  return model.pricing === undefined ? '-' : `${model.pricing.input}/${model.pricing.output}`;
}

function contextCell(model: CatalogModel): string {
  if (model.contextLength === undefined) return '-';
  const { api, docs } = model.contextLengthSources;
  return api !== undefined && docs !== undefined && api !== docs ? `${model.contextLength}*` : String(model.contextLength);
}

function table(models: readonly CatalogModel[]): string {
  const rows = [['ID', 'TYPE', 'CONTEXT', '$/1M IN/OUT', 'FAMILY'], ...models.map((m) => [m.id, m.type, contextCell(m), price(m), m.family ?? '-'])];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

function modelJson(model: CatalogModel): Record<string, unknown> {
  return { ...model };
}

function resolutionText(resolution: Resolution, fallbacks: readonly string[]): string {
  if (!resolution.ok) {
    const lines = [`not usable: ${resolution.id} (${resolution.reason.replace('_', ' ')})`, resolution.message, `fix: ${resolution.fix}`];
    if (resolution.suggestions.length > 0) lines.push('suggestions:', ...resolution.suggestions.map((id) => `  ${id}`));
    return lines.join('\n');
  }
  const m = resolution.model;
  const lines = [resolution.migratedFrom !== undefined ? `ok: ${m.id} (migrated from deprecated ${resolution.migratedFrom})` : `ok: ${m.id}`];
  const rows: Array<[string, string | undefined]> = [
    ['type', m.type],
    ['family', m.family],
    ['context', m.contextLength === undefined ? undefined : `${m.contextLength} tokens${contextCell(m).endsWith('*') ? ` (the API's, which Together enforces; its docs say ${m.contextLengthSources.docs})` : ''}`],
    ['pricing', m.pricing === undefined ? undefined : `$${m.pricing.input} in / $${m.pricing.output} out per 1M tokens`],
    ['tokenizer', m.tokenizer ?? undefined],
    ['serverless', m.serverless === undefined ? 'unknown (not in the bundled snapshot)' : m.serverless ? 'yes' : 'no'],
    ['min tier', m.minTier === undefined ? undefined : String(m.minTier)],
    ['fallbacks', fallbacks.length === 0 ? undefined : fallbacks.join(', ')],
    ['list', resolution.listSource === 'live' ? 'live' : 'bundled snapshot'],
  ];
  for (const [label, value] of rows) if (value !== undefined) lines.push(`${`${label}:`.padEnd(12)}${value}`);
  return lines.join('\n');
}

function parseTier(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const tier = Number(raw);
  if (!Number.isInteger(tier) || tier < 0 || tier > 5) throw new UsageError(`--tier must be a build tier from 0 to 5, not ${JSON.stringify(raw)}`);
  return tier;
}

export function registerModels(program: Command): void {
  const models = addConnectionOptions(
    program
      .command('models')
      .description("List Together's models (live, merged with the bundled catalog), or check an id with `models resolve ID`")
      .option('--type <type>', 'only this type: chat, language, embedding, image, rerank, moderation, audio')
      .option('--search <text>', 'only ids, names, organisations or families containing this text'),
  )
    .addHelpText('after', '\n* context: the smaller of the API and docs values, where they differ (which one Together enforces is unknown).')
    .action(async (options: ListOptions) => {
      const { catalog, close } = openCatalog(options);
      try {
        if (!options.offline) {
          try {
            await catalog.refresh();
          } catch (error) {
            const report = errorReport(error);
            if (options.json) printJson({ error: report.json }, 2);
            else printErr(`tether: could not load the model list: ${report.text}\n`);
            process.exitCode = EXIT_FINDING;
            return;
          }
        }
        const shown = filterModels(await catalog.list(), { type: options.type, search: options.search });
        if (options.json) {
          printJson(shown.map(modelJson), 2);
        } else {
          const source = options.offline ? `bundled snapshot of ${catalog.status().snapshotAsOf}` : 'live list';
          printOut(shown.length === 0 ? `no models match (${source})\n` : `${table(shown)}\n\n${shown.length} model(s), ${source}\n`);
        }
        process.exitCode = EXIT_OK;
      } finally {
        await close();
      }
    });

  addConnectionOptions(
    models
      .command('resolve')
      .description('Check a model id: exact match, or why not (unknown, deprecated, not serverless, tier-gated) and the closest ids')
      .argument('<id>', 'the model id to check, e.g. meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo')
      .option('--allow-successor', 'resolve a deprecated id to its successor instead of refusing it')
      .option('--tier <n>', 'the account build tier, to check tier-gated models'),
  ).action(async (id: string, _options: ResolveOptions, command: Command) => {
    const options = command.optsWithGlobals<ResolveOptions>();
    const accountTier = parseTier(options.tier);
    if (id.trim() === '') throw new UsageError('the model id must not be empty');
    const { catalog, close } = openCatalog(options, accountTier);
    try {
      if (!options.offline) {
        try {
          await catalog.refresh();
        } catch (error) {
          printErr(`tether: warning: could not load the live model list (${errorReport(error).text.split('\n')[0]}); using the bundled snapshot of ${catalog.status().snapshotAsOf}\n`);
        }
      }
      const resolution = await catalog.resolve(id, { allowSuccessor: options.allowSuccessor === true });
      const fallbacks = resolution.ok ? catalog.fallbackRoute(resolution.model.id) : [];
      if (options.json) {
        const out = resolution.ok ? { ...resolution, model: modelJson(resolution.model), fallbacks } : resolution;
        printJson(out, 2);
      } else {
        printOut(`${resolutionText(resolution, fallbacks)}\n`);
      }
      process.exitCode = resolution.ok ? EXIT_OK : EXIT_FINDING;
    } finally {
      await close();
    }
  });
}
