// The compact fault syntax for `tether emulator --fault SPEC` (and the admin endpoint): comma-separated
// name=value pairs whose first pair names the kind and carries its main parameter. A SPEC starting with `{`
// is a JSON FaultSpec instead.
import { EmulatorConfigError, parseFault } from './config.js';
import type { FaultSpec } from './config.js';

export const FAULT_SPEC_SYNTAX = `Fault SPEC syntax (first pair = kind and its main value; options after commas):
  status=CODE[,rate=R][,model=M][,key=K][,path=P][,message=TEXT]  answer CODE (e.g. 503) at rate R (0..1, default 1)
  credits=N[,key=K]                                     402 credit_limit after N requests (per key)
  latency=MS[,jitter=MS][,rate=R][,model=M][,key=K][,path=P]  delay responses
  reset[=R][,model=M][,key=K][,path=P]                  destroy the socket with no response, at rate R
  stream_cut=K[,rate=R][,model=M][,key=K]               cut SSE streams after K chunks (no [DONE])
  slow_stream=MS[,model=M][,key=K]                      wait MS between SSE chunks
  stall[=K][,rate=R][,model=M][,key=K]                  stop sending after K chunks without closing
  {"kind":"status","status":503,...}                    the same as JSON`;

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
    throw new EmulatorConfigError(`fault "${spec}": \`${field}\` must be a number (got "${raw}")`);
  }
  return value;
}

/** Parse one SPEC (compact or JSON) into a validated FaultSpec; errors say which part is wrong. */
export function parseFaultSpec(spec: string): FaultSpec {
  const text = spec.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new EmulatorConfigError(`fault "${spec}" is not valid JSON: ${(error as Error).message}`);
    }
    return parseFault(parsed, `fault "${spec}"`);
  }
  const pairs = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  const [first, ...rest] = pairs;
  if (!first) throw new EmulatorConfigError(`fault "${spec}" is empty. ${FAULT_SPEC_SYNTAX}`);
  const eq = first.indexOf('=');
  const kind = eq === -1 ? first : first.slice(0, eq);
  const mainField = MAIN_PARAM[kind];
  if (mainField === undefined) {
    throw new EmulatorConfigError(`fault "${spec}": unknown kind "${kind}". Use one of ${Object.keys(MAIN_PARAM).join(', ')}.`);
  }
  const fault: Record<string, unknown> = { kind };
  if (eq !== -1) fault[mainField] = toValue(mainField, first.slice(eq + 1), spec);
  for (const pair of rest) {
    const at = pair.indexOf('=');
    const name = at === -1 ? pair : pair.slice(0, at);
    const field = OPTION_FIELDS[name];
    if (at === -1 || field === undefined) {
      throw new EmulatorConfigError(
        `fault "${spec}": "${pair}" is not an option. Options are name=value with name one of ${Object.keys(OPTION_FIELDS).join(', ')}.`,
      );
    }
    fault[field] = toValue(field, pair.slice(at + 1), spec);
  }
  return parseFault(fault, `fault "${spec}"`);
}
