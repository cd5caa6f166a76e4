// A failure with no HTTP response (socket, DNS, TLS, timeout, abort) → a TogetherError, via the decision table.
import { TogetherError, isTogetherError } from './together-error.js';
import { quote } from './body.js';
import { redactSecrets } from './redact.js';
import { CATEGORY_DEFAULTS, FALLBACK_NETWORK_RULE, networkRuleFor, renderSentence } from './table.js';
import type { NetworkRule, RuleFacts } from './table.js';

/** How deep into `.cause` / `.errors` we look; real chains are 2–3 deep, cycles exist. */
const MAX_CHAIN_NODES = 16;

interface ErrorNode {
  code?: string;
  name?: string;
  message?: string;
  host?: string;
}

function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** host:port from the fields Node puts on socket errors, or from undici's "attempted address" text. */
function hostOf(error: unknown, message: string | undefined): string | undefined {
  const host = str(field(error, 'hostname')) ?? str(field(error, 'host')) ?? str(field(error, 'address'));
  const port = field(error, 'port');
  if (host !== undefined) return typeof port === 'number' || typeof port === 'string' ? `${host}:${port}` : host;
  return message === undefined ? undefined : /attempted address(?:es)?: ([^\s,)]+)/i.exec(message)?.[1];
}

/** The error and everything under it (`.cause`, and AggregateError's `.errors`), breadth first, deduplicated. */
function walk(error: unknown): Array<{ node: ErrorNode; depth: number }> {
  const out: Array<{ node: ErrorNode; depth: number }> = [];
  const seen = new Set<unknown>();
  const queue: Array<{ value: unknown; depth: number }> = [{ value: error, depth: 0 }];
  for (let next = queue.shift(); next !== undefined && out.length < MAX_CHAIN_NODES; next = queue.shift()) {
    const { value, depth } = next;
    if (value === undefined || value === null || seen.has(value)) continue;
    seen.add(value);
    const message = typeof value === 'string' ? value : str(field(value, 'message'));
    const node: ErrorNode = {};
    const code = str(field(value, 'code')); // a DOMException's code is a number: ignored on purpose
    const name = str(field(value, 'name'));
    const host = hostOf(value, message);
    if (code !== undefined) node.code = code;
    if (name !== undefined) node.name = name;
    if (message !== undefined) node.message = message;
    if (host !== undefined) node.host = host;
    out.push({ node, depth });
    queue.push({ value: field(value, 'cause'), depth: depth + 1 });
    const errors = field(value, 'errors');
    if (Array.isArray(errors)) for (const inner of errors) queue.push({ value: inner, depth: depth + 1 });
  }
  return out;
}

/** The deepest recognised node wins: it is the root cause (fetch's "fetch failed" only wraps it). */
function recognise(nodes: ReadonlyArray<{ node: ErrorNode; depth: number }>): { rule: NetworkRule; node: ErrorNode } | undefined {
  let best: { rule: NetworkRule; node: ErrorNode; depth: number } | undefined;
  for (const { node, depth } of nodes) {
    const rule = networkRuleFor(node.code, node.name);
    if (rule !== undefined && (best === undefined || depth > best.depth)) best = { rule, node, depth };
  }
  return best;
}

/**
 * Classifies an error thrown instead of a response — a socket reset, DNS or TLS failure, timeout or abort,
 * including fetch's `TypeError('fetch failed')` whose real error sits in `.cause` — into a TogetherError.
 * A TogetherError passes through unchanged. Never throws.
 */
export function classifyNetworkError(error: unknown, context: { model?: string | undefined } = {}): TogetherError {
  if (isTogetherError(error)) return error;
  const nodes = walk(error);
  const found = recognise(nodes);
  const rule = found?.rule ?? FALLBACK_NETWORK_RULE;
  const node = found?.node ?? nodes[0]?.node ?? {};
  const host = node.host ?? nodes.find((entry) => entry.node.host !== undefined)?.node.host;
  const code = node.code ?? (found === undefined ? undefined : node.name);

  let message = rule.describe(host);
  if (code !== undefined) message += ` (${code})`;
  if (found === undefined && node.message !== undefined) message += `: ${quote(node.message).text}`;
  message = redactSecrets(message);

  const defaults = CATEGORY_DEFAULTS[rule.category];
  const facts: RuleFacts = { code, message, model: context.model, host };
  return new TogetherError({
    code,
    category: rule.category,
    message,
    cause: redactSecrets(renderSentence(rule.cause ?? defaults.cause, facts)),
    fix: redactSecrets(renderSentence(rule.fix ?? defaults.fix, facts)),
    retryable: rule.retryable ?? defaults.retryable,
    model: context.model,
    ...(host === undefined ? {} : { details: { host } }),
    original: error,
  });
}
