// Steps that need no network: the config file, the API key, the base URL, the proxy variables.
import { DEFAULT_BASE_URL, parseBaseUrl } from '../../api/index.js';
import type { KeySource } from '../../errors/index.js';
import { KEY_SHAPE_WORDS, keyEnding, keyFacts, keyPasteProblem } from '../key-shape.js';
import { proxyFor, proxySettingsFromEnv, withoutCredentials } from '../proxy.js';
import { ConfigFileError, apiKeyIn, baseUrlIn, loadUserConfig, modelsNamedIn } from '../user-config.js';
import { fail, pass, skip, warn, type DoctorContext, type DoctorStep } from './context.js';

const KEYS_URL = 'https://api.together.ai/settings/api-keys';

export const configStep: DoctorStep = {
  id: 'config',
  title: 'config file',
  needs: [],
  async run(ctx) {
    const path = ctx.options.configPath;
    if (path === undefined) return skip('no --config given: only flags and the environment are checked');
    try {
      ctx.config = loadUserConfig(path);
    } catch (error) {
      if (error instanceof ConfigFileError) return fail(error.message, 'Fix the file (or point --config at the right one).');
      throw error;
    }
    const data = ctx.config.data;
    const holds: string[] = [];
    const models = modelsNamedIn(data);
    if (models.length > 0) holds.push(`${models.length} model id${models.length === 1 ? '' : 's'}`);
    const key = apiKeyIn(data);
    if (key) holds.push(`an API key (${key.where})`);
    const base = baseUrlIn(data);
    if (base) holds.push(`a base URL (${base.where})`);
    return pass(`read ${path} (${ctx.config.format.toUpperCase()})${holds.length > 0 ? `: ${holds.join(', ')}` : ''}`, {
      data: { path, format: ctx.config.format, models: models.length },
    });
  },
};

interface KeyCandidate {
  source: KeySource;
  where: string;
  value: string;
}

function keyCandidates(ctx: DoctorContext): KeyCandidate[] {
  const out: KeyCandidate[] = [];
  const flag = ctx.options.apiKey;
  if (flag !== undefined && flag.trim() !== '') out.push({ source: 'flag', where: '--api-key', value: flag });
  const env = ctx.env['TOGETHER_API_KEY'];
  if (env !== undefined && env.trim() !== '') out.push({ source: 'env', where: 'TOGETHER_API_KEY', value: env });
  const fromConfig = ctx.config === undefined ? undefined : apiKeyIn(ctx.config.data);
  if (fromConfig) out.push({ source: 'config', where: `${fromConfig.where} in ${ctx.config?.path ?? 'the config file'}`, value: fromConfig.value });
  return out;
}

function isTogetherHost(host: string): boolean {
  return /(^|\.)together\.(xyz|ai)$/i.test(host);
}

/** The base URL and where it came from: --base-url, TOGETHER_BASE_URL, the config file, or the default. */
function baseUrlCandidate(ctx: DoctorContext): { value: string; source: string } {
  const flag = ctx.options.baseUrl;
  if (flag !== undefined && flag.trim() !== '') return { value: flag.trim(), source: '--base-url' };
  const env = ctx.env['TOGETHER_BASE_URL'];
  if (env !== undefined && env.trim() !== '') return { value: env.trim(), source: 'TOGETHER_BASE_URL' };
  const fromConfig = ctx.config === undefined ? undefined : baseUrlIn(ctx.config.data);
  if (fromConfig) return { value: fromConfig.value.trim(), source: `${fromConfig.where} in ${ctx.config?.path ?? 'the config file'}` };
  return { value: DEFAULT_BASE_URL, source: 'the default' };
}

function targetHost(ctx: DoctorContext): string | undefined {
  try {
    return new URL(baseUrlCandidate(ctx).value).hostname;
  } catch {
    return undefined;
  }
}

export const keyStep: DoctorStep = {
  id: 'key',
  title: 'API key',
  needs: [],
  async run(ctx) {
    const [chosen, ...others] = keyCandidates(ctx);
    if (chosen === undefined) {
      return fail('no API key: --api-key, TOGETHER_API_KEY and the config file are all empty', `Create a key at ${KEYS_URL}, then: export TOGETHER_API_KEY=<your key> (or pass --api-key).`);
    }
    const details = others.map((other) =>
      other.value.trim() === chosen.value.trim()
        ? `${other.where} holds the same key`
        : `${other.where} holds a different key (${keyEnding(other.value.trim())}), not used: ${chosen.where} wins`,
    );
    const paste = keyPasteProblem(chosen.value);
    if (paste !== undefined) {
      return fail(`the key from ${chosen.where} ${paste.problem}`, paste.fix, { details, data: { source: chosen.source, where: chosen.where } });
    }
    const value = chosen.value.trim();
    ctx.key = { value, source: chosen.source, where: chosen.where };
    const facts = keyFacts(value);
    const data = { source: chosen.source, where: chosen.where, ...facts };
    const trimmed = value !== chosen.value ? ' (surrounding whitespace trimmed)' : '';
    const said = `from ${chosen.where}: ${KEY_SHAPE_WORDS[facts.shape]}, ${keyEnding(value)}${trimmed}`;
    if (facts.shape === 'other') {
      const host = targetHost(ctx);
      if (host !== undefined && isTogetherHost(host)) {
        return warn(said, `Together keys start with tgp_v1_; check this is a Together key (from ${KEYS_URL}), not another provider's.`, { details, data });
      }
      return pass(`from ${chosen.where}, ${keyEnding(value)}${trimmed} (format not checked: the base URL is not Together's)`, { details, data });
    }
    return pass(said, { details, data });
  },
};

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
}

export const baseUrlStep: DoctorStep = {
  id: 'base_url',
  title: 'base URL',
  needs: [],
  async run(ctx) {
    const { value, source } = baseUrlCandidate(ctx);
    let parts;
    try {
      parts = parseBaseUrl(value);
    } catch (error) {
      return fail(`${error instanceof Error ? error.message : String(error)} (from ${source})`, `Set a base URL such as ${DEFAULT_BASE_URL} in ${source}.`);
    }
    const url = new URL(parts.href);
    ctx.target = { url, href: parts.href, source };
    const summary = `${parts.href} (from ${source})`;
    const data = { baseUrl: parts.href, source };
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      return warn(`${summary}: plain http to a remote host sends the key unencrypted`, 'Use an https:// base URL.', { data });
    }
    if (isTogetherHost(url.hostname) && parts.basePath !== '/v1') {
      return warn(`${summary}: Together's API lives under /v1`, `Use ${url.origin}/v1.`, { data });
    }
    const details = isTogetherHost(url.hostname) ? ['api.together.xyz and api.together.ai serve the same API'] : undefined;
    return pass(summary, { data, details });
  },
};

export const proxyStep: DoctorStep = {
  id: 'proxy',
  title: 'proxy',
  needs: ['base_url'],
  async run(ctx) {
    const target = ctx.target;
    if (target === undefined) return skip('no base URL');
    const settings = proxySettingsFromEnv(ctx.env);
    const details: string[] = [];
    const shown: Array<[string | undefined, string | undefined]> = [
      [settings.sources.httpsProxy, settings.httpsProxy],
      [settings.sources.httpProxy, settings.httpProxy],
      [settings.sources.noProxy, settings.noProxy],
    ];
    for (const [name, value] of shown) if (name !== undefined && value !== undefined) details.push(`${name}=${name.toLowerCase() === 'no_proxy' ? value : withoutCredentials(value)}`);
    for (const [name, value] of [
      ['HTTPS_PROXY', settings.httpsProxy],
      ['HTTP_PROXY', settings.httpProxy],
    ] as const) {
      if (value === undefined) continue;
      try {
        const parsed = new URL(value);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError('scheme');
      } catch {
        return fail(`${name} is not an http:// or https:// URL`, `Set ${name} to a URL such as http://proxy.example.com:3128, or unset it.`, { details });
      }
    }
    const choice = proxyFor(settings, target.url);
    const port = Number(target.url.port) || (target.url.protocol === 'https:' ? 443 : 80);
    ctx.proxy = { settings, proxy: choice.proxy };
    if (choice.proxy === undefined) {
      ctx.connect = { host: target.url.hostname, port, viaProxy: false };
      return pass(`direct connection to ${target.url.host} (${choice.reason})`, { details, data: { proxy: null, reason: choice.reason } });
    }
    const proxyUrl = new URL(choice.proxy);
    ctx.connect = { host: proxyUrl.hostname, port: Number(proxyUrl.port) || (proxyUrl.protocol === 'https:' ? 443 : 80), viaProxy: true };
    const shownProxy = withoutCredentials(choice.proxy);
    return pass(`requests to ${target.url.host} go through ${shownProxy} (${choice.reason})`, {
      details,
      data: { proxy: shownProxy, reason: choice.reason },
    });
  },
};
