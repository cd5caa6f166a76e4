// Steps that judge what was gathered: the config's models against the catalog, the rate-limit headers, the clock.
import { estimateSkew, judgeSkew } from '../clock-skew.js';
import { readRateLimits } from '../rate-limit-words.js';
import { formatDuration } from '../../policy/index.js';
import { modelsNamedIn } from '../user-config.js';
import { catalogFor } from './api-steps.js';
import { fail, pass, skip, warn, type DoctorStep } from './context.js';

export const configModelsStep: DoctorStep = {
  id: 'config_models',
  title: 'models in config',
  needs: ['config'],
  async run(ctx) {
    if (ctx.config === undefined) return skip('no config file to read model ids from');
    const named = modelsNamedIn(ctx.config.data);
    if (named.length === 0) return skip(`${ctx.config.path} names no model ids`);
    const catalog = catalogFor(ctx);
    const details: string[] = [];
    const fixes: string[] = [];
    const results: Array<Record<string, unknown>> = [];
    let source: 'live' | 'snapshot' = 'live';
    for (const { id, where } of named) {
      const resolution = await catalog.resolve(id);
      source = resolution.listSource;
      if (resolution.ok) {
        details.push(`ok    ${id} (${where})`);
        results.push({ id, where, ok: true });
        continue;
      }
      const successor = resolution.successor !== undefined ? `; successor: ${resolution.successor}` : '';
      details.push(`FAIL  ${id} (${where}): ${resolution.reason.replace('_', ' ')}${successor}`);
      details.push(`      ${resolution.message}`);
      fixes.push(`${where}: ${resolution.fix}`);
      results.push({ id, where, ok: false, reason: resolution.reason, successor: resolution.successor, suggestions: resolution.suggestions });
    }
    const bad = results.filter((r) => r.ok === false);
    if (source === 'snapshot') details.push('(checked against the bundled catalog snapshot: the live list could not be loaded)');
    const against = source === 'live' ? 'the live list' : 'the bundled snapshot (the live list could not be loaded)';
    const data = { checkedAgainst: source, models: results };
    if (bad.length > 0) {
      const names = bad.map((r) => `${String(r.id)} (${String(r.reason).replace('_', ' ')}${r.successor ? ` → ${String(r.successor)}` : ''})`).join(', ');
      return fail(`${bad.length} of ${named.length} model ids in the config cannot be used: ${names}`, fixes.join(' '), { details, data });
    }
    const summary = `all ${named.length} model id${named.length === 1 ? '' : 's'} exist and are serverless (checked against ${against})`;
    if (source === 'snapshot') return warn(summary, 'Fix the GET /models step to check against the live list.', { details, data });
    return pass(summary, { details, data });
  },
};

export const rateLimitsStep: DoctorStep = {
  id: 'rate_limits',
  title: 'rate limits',
  needs: ['models'],
  async run(ctx) {
    const candidates = [...(ctx.completionHeaders ? [ctx.completionHeaders] : []), ...ctx.responses.map((r) => r.headers).reverse()];
    const reading = candidates.map((headers) => readRateLimits(headers, ctx.now())).find((r) => r.words !== undefined);
    if (reading === undefined || reading.words === undefined) {
      return warn(
        `no x-ratelimit-* / x-tokenlimit-* headers in ${ctx.responses.length} responses`,
        'Normal for a gateway or a dedicated endpoint; against api.together.xyz, check that a proxy is not stripping response headers. tether then paces from configured limits only.',
      );
    }
    const details = Object.entries(reading.raw).map(([name, value]) => `${name}: ${value}`);
    const data = { ...reading.snapshot, dynamic: reading.dynamic, headers: reading.raw };
    if (reading.exhausted) {
      return warn(`${reading.words}: a budget is used up right now`, 'Other processes may share this key; wait for the reset, or pace them together (tether gateway, or a shared Redis budget).', { details, data });
    }
    return pass(reading.words, { details, data });
  },
};

export const clockStep: DoctorStep = {
  id: 'clock',
  title: 'clock skew',
  needs: ['tcp'],
  async run(ctx) {
    const estimate = estimateSkew(ctx.responses);
    if (estimate === undefined) return skip('no response carried a Date header to compare with');
    const verdict = judgeSkew(estimate);
    const direction = estimate.skewMs > 0 ? 'behind' : 'ahead of';
    const size = formatDuration(Math.abs(estimate.skewMs));
    const data = { skewMs: Math.round(estimate.skewMs), uncertaintyMs: Math.round(estimate.uncertaintyMs) };
    const fix = 'Sync the system clock (Linux: timedatectl set-ntp true; macOS: sudo sntp -sS time.apple.com; Windows: w32tm /resync).';
    if (verdict === 'pass') return pass(`local clock agrees with the server's Date header (within ${formatDuration(estimate.uncertaintyMs)})`, { data });
    const summary = `local clock is ${size} ${direction} the server's`;
    return verdict === 'warn' ? warn(summary, fix, { data }) : fail(`${summary}: certificate dates and reset times will be misread`, fix, { data });
  },
};
