// The compact fault syntax for `tether emulator --fault SPEC` (and the admin endpoint): comma-separated
// name=value pairs whose first pair names the kind and carries its main parameter. A SPEC starting with `{`
// is a JSON FaultSpec instead.
import { EmulatorConfigError, parseFault } from './config.js';
import type { FaultSpec } from './config.js';
import { echoed } from './errors.js';
import { MAX_JSON_DEPTH, jsonDeeperThan } from './json-limits.js';

export const FAULT_SPEC_SYNTAX = `Fault SPEC syntax (the first pair names the kind and its main value; options follow after commas;
R is a rate 0..1, default 1; M a model id; K a key or key name; P a path such as /v1/models):
  status=CODE[,rate=R][,model=M][,key=K][,path=P][,message=TEXT]   answer CODE (e.g. 503, 500) in Together's envelope
  credits=N[,key=K]                                   402 credit_limit once a key has made N requests
  latency=MS[,jitter=MS][,rate=R][,model=M][,key=K][,path=P]       delay the answer by MS (+0..jitter)
  reset[=R][,model=M][,key=K][,path=P]                destroy the socket, no response
  stream_cut=N[,rate=R][,model=M][,key=K]             send N SSE chunks, then destroy the socket (no [DONE])
  slow_stream=MS[,model=M][,key=K]                    wait MS before each SSE chunk
  stall[=N][,rate=R][,model=M][,key=K]                send N SSE chunks, then nothing, socket left open
                                                      (a non-streaming request is never answered)
  {"kind":"status","status":503,...}                  any fault as JSON (see FaultSpec)
Without path=, faults apply to the inference paths: chat/completions, completions, embeddings,
images/generations, rerank, audio/speech, audio/transcriptions and audio/translations (under /v1).`;

const MAIN_PARAM: Record<string, string | undefined> = {
  status: 'status',
  credits: 'afterRequests',
  latency: 'ms',
  reset: 'rate',
  stream_cut: 'afterChunks',
  slow_stream: 'chunkDelayMs',
  stall: 'afterChunks',
};

/** Option names in the compact form → FaultSpec field names. */
const OPTION_FIELDS: Record<string, string> = {
  rate: 'rate',
  model: 'model',
  key: 'key',
  path: 'path',
  jitter: 'jitterMs',
  message: 'body',
};

const NUMERIC_FIELDS = new Set(['status', 'afterRequests', 'ms', 'rate', 'afterChunks', 'chunkDelayMs', 'jitterMs']);

function toValue(field: string, raw: string, spec: string): string | number {
  if (!NUMERIC_FIELDS.has(field)) return raw;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new EmulatorConfigError(`fault "${echoed(spec)}": \`${field}\` must be a number (got "${echoed(raw)}")`);
  }
  return value;
}

/** Parse one SPEC (compact or JSON) into a validated FaultSpec; errors say which part is wrong. */
export function parseFaultSpec(spec: string): FaultSpec {
  const text = spec.trim();
  if (text.startsWith('{')) {
    if (jsonDeeperThan(text, MAX_JSON_DEPTH)) throw new EmulatorConfigError(`fault SPEC nests deeper than ${MAX_JSON_DEPTH} levels; a fault's body is a flat error object`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new EmulatorConfigError(`fault "${echoed(spec)}" is not valid JSON: ${(error as Error).message}`);
    }
    return parseFault(parsed, `fault "${echoed(spec)}"`);
  }
  const pairs = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  const [first, ...rest] = pairs;
  if (!first) throw new EmulatorConfigError(`fault "${echoed(spec)}" is empty. ${FAULT_SPEC_SYNTAX}`);
  const eq = first.indexOf('=');
  const kind = eq === -1 ? first : first.slice(0, eq);
  const mainField = MAIN_PARAM[kind];
  if (mainField === undefined) {
    throw new EmulatorConfigError(`fault "${echoed(spec)}": unknown kind "${echoed(kind)}". Use one of ${Object.keys(MAIN_PARAM).join(', ')}.`);
  }
  const fault: Record<string, unknown> = { kind };
  if (eq !== -1) fault[mainField] = toValue(mainField, first.slice(eq + 1), spec);
  for (const pair of rest) {
    const at = pair.indexOf('=');
    const name = at === -1 ? pair : pair.slice(0, at);
    const field = OPTION_FIELDS[name];
    if (at === -1 || field === undefined) {
      throw new EmulatorConfigError(
        `fault "${echoed(spec)}": "${echoed(pair)}" is not an option. Options are name=value with name one of ${Object.keys(OPTION_FIELDS).join(', ')}.`,
      );
    }
    fault[field] = toValue(field, pair.slice(at + 1), spec);
  }
  return parseFault(fault, `fault "${echoed(spec)}"`);
}
