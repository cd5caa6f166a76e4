// The user's tether config file (JSON or YAML) as the doctor and the debug bundle see it: the key and base URL it
// may hold, the model ids it names, and its secrets. No schema is imposed: the gateway's config, or a plain
// `{ models: [...] }`, are both read for the fields below.
import { ConfigFileError, parseConfigText, readConfigFile, type ConfigText } from '../config-file/index.js';

export { ConfigFileError };

export type UserConfig = ConfigText;

export function parseUserConfig(text: string, path: string): UserConfig {
  return parseConfigText(text, path);
}

export function loadUserConfig(path: string): UserConfig {
  const config = readConfigFile(path);
  if (config.data !== null && config.data !== undefined && (typeof config.data !== 'object' || Array.isArray(config.data))) {
    throw new ConfigFileError(`The config file ${path} must hold a mapping (key: value pairs) at the top level.`);
  }
  return config;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `upstream.apiKey` style path. */
function joinWhere(where: string, key: string | number): string {
  if (typeof key === 'number') return `${where}[${key}]`;
  const plain = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  return where === '' ? plain : /^[A-Za-z_]/.test(plain) ? `${where}.${plain}` : `${where}[${plain}]`;
}

/** A value at one of `names` under the top level or one of `sections`, with where it was found. */
function firstString(data: unknown, names: readonly string[], sections: readonly string[]): { value: string; where: string } | undefined {
  if (!isRecord(data)) return undefined;
  const scopes: Array<[Json, string]> = [[data, '']];
  for (const section of sections) {
    const inner = data[section];
    if (isRecord(inner)) scopes.push([inner, section]);
  }
  for (const [scope, where] of scopes) {
    for (const name of names) {
      const value = scope[name];
      if (typeof value === 'string' && value.trim() !== '') return { value, where: joinWhere(where, name) };
    }
  }
  return undefined;
}

const SECTIONS = ['upstream', 'together', 'api'];

/** The Together API key a config file holds (top level, or under `upstream` / `together` / `api`). */
export function apiKeyIn(data: unknown): { value: string; where: string } | undefined {
  return firstString(data, ['apiKey', 'api_key', 'togetherApiKey', 'together_api_key', 'key'], SECTIONS);
}

/** The base URL a config file sets. */
export function baseUrlIn(data: unknown): { value: string; where: string } | undefined {
  return firstString(data, ['baseUrl', 'base_url', 'baseURL', 'url'], SECTIONS);
}

export interface NamedModel {
  id: string;
  /** Where the file names it, e.g. `aliases.fast` or `routes["a/b"][1]`. */
  where: string;
}

const MODEL_FIELDS = new Set(['model', 'defaultModel', 'default_model', 'fallbackModel', 'fallback_model', 'target', 'upstreamModel']);
const MODEL_LIST_FIELDS = new Set(['models', 'fallbacks', 'fallback', 'route', 'chain']);

/** Model ids look like `org/name`; alias and family keys (`fast`, `llama-3.x`) do not. */
function looksLikeModelId(text: string): boolean {
  return /^[^\s/]+\/\S+$/.test(text);
}

/**
 * Every model id the config names: `model`-like fields, `models` / `fallbacks` lists, `aliases` values, and
 * `routes` (keys that are model ids, and their lists). Each id once, at the first place it appears.
 */
export function modelsNamedIn(data: unknown): NamedModel[] {
  const found = new Map<string, string>();
  const add = (id: string, where: string): void => {
    const trimmed = id.trim();
    if (trimmed !== '' && !found.has(trimmed)) found.set(trimmed, where);
  };
  const visitItem = (item: unknown, where: string): void => {
    if (typeof item === 'string') add(item, where);
    // A list entry may be `{ id: "org/name", ... }`: there `id` is the model id.
    else if (isRecord(item) && typeof item.id === 'string' && item.model === undefined) add(item.id, joinWhere(where, 'id'));
    else visit(item, where);
  };
  const visitList = (value: unknown, where: string): void => {
    if (Array.isArray(value)) value.forEach((item, i) => visitItem(item, joinWhere(where, i)));
    else visitItem(value, where);
  };
  const visit = (value: unknown, where: string, depth = 0): void => {
    if (depth > 12) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, joinWhere(where, i), depth + 1));
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      const here = joinWhere(where, key);
      if (MODEL_FIELDS.has(key) && typeof inner === 'string') add(inner, here);
      else if (MODEL_LIST_FIELDS.has(key)) visitList(inner, here);
      else if ((key === 'aliases' || key === 'routes') && isRecord(inner)) {
        for (const [name, target] of Object.entries(inner)) {
          const at = joinWhere(here, name);
          if (key === 'routes' && looksLikeModelId(name)) add(name, `${at} (key)`);
          visitList(target, at);
        }
      } else visit(inner, here, depth + 1);
    }
  };
  visit(data, '');
  return [...found].map(([id, where]) => ({ id, where }));
}
