// Scenarios: a script of capacity changes and faults over time ("at 10 s, capacity of model X halves for 20 s; at
// 30 s, model Y answers 503 to everything for 10 s"), for tests and users' CI. This file is the format: its
// schema, its validation (errors name the field and, from a file, the line) and the file loader.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { describeConfigIssues, ConfigFileError, readConfigFile } from '../config-file/index.js';
import { EmulatorConfigError, parseFault } from './config.js';
import type { FaultSpec } from './config.js';
import { parseFaultSpec } from './fault-spec.js';

/** Most events in one scenario. */
export const MAX_SCENARIO_EVENTS = 1000;
/** Latest time an event may start or last: a day. */
export const MAX_SCENARIO_MS = 24 * 3_600_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1500`, `"1500ms"`, `"10s"`, `"1.5m"`, `"2h"` as milliseconds, or undefined when it is none of them. */
export function parseScenarioDuration(value: string): number | undefined {
  const match = /^\s*(\d{1,9}(?:\.\d{1,6})?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
}

const DURATION_HINT = 'must be a duration such as 500ms, 10s, 1.5m or 2h (at most 24h), or a whole number of ms';

/** One schema for numbers and strings, so a bad value gets this message rather than zod's "Invalid input". */
const durationSchema = z.unknown().transform((value, ctx): number => {
  let ms: number | undefined;
  if (typeof value === 'number') ms = Number.isInteger(value) && value >= 0 ? value : undefined;
  else if (typeof value === 'string' && value.length <= 32) ms = parseScenarioDuration(value);
  if (ms === undefined || ms > MAX_SCENARIO_MS) {
    ctx.addIssue({ code: 'custom', message: DURATION_HINT });
    return z.NEVER;
  }
  return ms;
});

const capacityChangeSchema = z
  .strictObject({
    /** A model id, or `*` for every model with a configured capacity. */
    model: z.string().min(1).max(256),
    /** Multiplies the configured capacity (0.5 halves it, 0 stops the model). */
    factor: z.number().min(0).max(1000).optional(),
    requestsPerSecond: z.number().min(0).max(1e7).optional(),
    concurrent: z.number().int().min(0).max(1e7).optional(),
  })
  .refine((c) => c.factor !== undefined || c.requestsPerSecond !== undefined || c.concurrent !== undefined, {
    message: 'give `factor` (e.g. 0.5 halves the configured capacity), `requestsPerSecond` or `concurrent`',
  });

const eventSchema = z
  .strictObject({
    /** When the event starts, from the scenario's start. */
    at: durationSchema,
    /** How long it lasts; left out, until the scenario ends or is stopped. */
    for: durationSchema.optional(),
    /** How stats and errors name the event. */
    name: z.string().min(1).max(200).optional(),
    capacity: capacityChangeSchema.optional(),
    /**
     * Any fault (FaultSpec object, or a compact SPEC string as `tether emulator --fault` takes), while the event
     * lasts. Checked in parseScenario, so its errors are the fault's own (zod's union says only "Invalid input").
     */
    fault: z.unknown().optional(),
  })
  .superRefine((event, ctx) => {
    const kinds = [event.capacity, event.fault].filter((part) => part !== undefined).length;
    if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'each event needs exactly one of `capacity` or `fault`' });
  });

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    /** How long the scenario runs; left out, until it is stopped. */
    duration: durationSchema.optional(),
    /** Start over at `duration` (needs `duration`). */
    loop: z.boolean().optional(),
    events: z.array(eventSchema).min(1).max(MAX_SCENARIO_EVENTS),
  })
  .superRefine((scenario, ctx) => {
    if (scenario.loop === true && scenario.duration === undefined) ctx.addIssue({ code: 'custom', path: ['loop'], message: 'a looping scenario needs a `duration`' });
  });

/** One event, validated, times in ms, its fault parsed. */
export interface ScenarioEvent {
  index: number;
  name: string;
  atMs: number;
  /** undefined: until the scenario ends or is stopped. */
  forMs: number | undefined;
  capacity?: { model: string; factor?: number | undefined; requestsPerSecond?: number | undefined; concurrent?: number | undefined };
  fault?: FaultSpec;
}

export interface Scenario {
  name: string;
  description: string | undefined;
  durationMs: number | undefined;
  loop: boolean;
  events: ScenarioEvent[];
}

/** A scenario that does not validate: the message names each bad field (and its line, from a file). */
export class ScenarioError extends EmulatorConfigError {}

function describeEvent(event: { capacity?: ScenarioEvent['capacity']; fault?: FaultSpec }): string {
  if (event.capacity) {
    const c = event.capacity;
    const parts = [c.factor !== undefined ? `×${c.factor}` : '', c.requestsPerSecond !== undefined ? `${c.requestsPerSecond} req/s` : '', c.concurrent !== undefined ? `${c.concurrent} at once` : ''];
    return `capacity of ${c.model} ${parts.filter(Boolean).join(', ')}`;
  }
  const f = event.fault as FaultSpec;
  return `${f.kind}${'status' in f ? ` ${f.status}` : ''}${'model' in f && f.model ? ` on ${f.model}` : ''}`;
}

/** Validate a scenario object; `locate` turns a field path into " (line N)" when it came from a file. */
export function parseScenario(input: unknown, source = 'scenario', locate: (path: readonly PropertyKey[]) => string = () => ''): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 10).map((issue) => `${describeConfigIssues([issue])}${locate(issue.path)}`);
    throw new ScenarioError(`${source} is invalid: ${issues.join('; ')}`);
  }
  const data = result.data;
  const events = data.events.map((event, index): ScenarioEvent => {
    let fault: FaultSpec | undefined;
    if (event.fault !== undefined) {
      try {
        if (typeof event.fault === 'string') {
          if (event.fault.length > 500) throw new EmulatorConfigError('a fault SPEC is at most 500 characters');
          fault = parseFaultSpec(event.fault);
        } else fault = parseFault(event.fault, 'the fault');
      } catch (error) {
        if (!(error instanceof EmulatorConfigError)) throw error;
        throw new ScenarioError(`${source} is invalid: \`events[${index}].fault\`${locate(['events', index, 'fault'])}: ${error.message}`);
      }
    }
    if (fault?.kind === 'credits') {
      throw new ScenarioError(`${source} is invalid: \`events[${index}].fault\`${locate(['events', index, 'fault'])}: a credits fault fires once, not over a time span; use the emulator's faults or POST /_emulator/credits`);
    }
    const described = { ...(event.capacity ? { capacity: event.capacity } : {}), ...(fault ? { fault } : {}) };
    return { index, name: event.name ?? describeEvent(described), atMs: event.at, forMs: event.for, ...described };
  });
  return { name: data.name ?? 'scenario', description: data.description, durationMs: data.duration, loop: data.loop ?? false, events };
}

/** " (line N)" for the node at `path` of a YAML/JSON text, or "" where it cannot be found. */
function lineLocator(text: string): (path: readonly PropertyKey[]) => string {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  return (path) => {
    // The deepest part of the path the document has: a missing field is reported at its parent.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth) as Iterable<unknown>, true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && Array.isArray(node.range)) return ` (line ${lineCounter.linePos(node.range[0]).line})`;
    }
    return '';
  };
}

/** Read and validate a scenario file (YAML or JSON, at most 1 MiB). Errors name the field and its line. */
export function loadScenarioFile(path: string): Scenario {
  let data: unknown;
  try {
    data = readConfigFile(path, 'scenario file').data;
  } catch (error) {
    throw error instanceof ConfigFileError ? new ScenarioError(error.message.replace('--config', '--scenario')) : error;
  }
  let locate: (path: readonly PropertyKey[]) => string = () => '';
  try {
    locate = lineLocator(readFileSync(path, 'utf8'));
  } catch {
    // The file was just read; if it is gone now, errors still name the field.
  }
  return parseScenario(data, `scenario file ${path}`, locate);
}
