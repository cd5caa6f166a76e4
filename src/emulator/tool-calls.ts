// Tool calling for chat: which tools a request's `tool_choice` makes the "model" call, and each call's id, name
// and `arguments` (a JSON string valid against the function's `parameters`). The request's tools and choice are
// checked first, with errors that say what is wrong.
import { invalidRequest } from './errors.js';
import type { EmulatorError } from './errors.js';
import type { Random } from './prng.js';
import { schemaInstance, UnsatisfiableSchema } from './schema-instance.js';

export interface ToolFunction {
  name: string;
  parameters: unknown;
}

export interface GeneratedToolCall {
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

/** What the request asks for, once checked. `none`: never call; `auto`: the model decides; the rest: must call. */
export type ToolPlan =
  | { kind: 'none' }
  | { kind: 'auto'; tools: ToolFunction[]; parallel: boolean }
  | { kind: 'required'; tools: ToolFunction[]; parallel: boolean }
  | { kind: 'named'; tool: ToolFunction };

/** At most this many calls in one answer (one per tool under `required` with parallel calls). */
export const MAX_PARALLEL_TOOL_CALLS = 8;

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type ToolPlanResult = { ok: true; plan: ToolPlan } | { ok: false; error: EmulatorError };

function fail(message: string, param: string): ToolPlanResult {
  return { ok: false, error: invalidRequest(message, param) };
}

/** `tools`, `tool_choice` and `parallel_tool_calls` of a chat request, checked and turned into a plan. */
export function planTools(body: { tools?: unknown; tool_choice?: unknown; parallel_tool_calls?: unknown }): ToolPlanResult {
  const tools: ToolFunction[] = [];
  const rawTools = body.tools ?? [];
  if (!Array.isArray(rawTools)) return fail('`tools` must be an array of {"type": "function", "function": {"name": ..., "parameters": {...}}}.', 'tools');
  for (const [i, tool] of rawTools.entries()) {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(fn)) {
      return fail(`\`tools[${i}]\` must be {"type": "function", "function": {"name": "...", "parameters": {...}}}.`, `tools[${i}]`);
    }
    if (typeof fn.name !== 'string' || !NAME.test(fn.name)) {
      return fail(`\`tools[${i}].function.name\` must be 1-64 characters of a-z, A-Z, 0-9, _ or -.`, `tools[${i}].function.name`);
    }
    if (fn.parameters !== undefined && fn.parameters !== null && !isObject(fn.parameters)) {
      return fail(`\`tools[${i}].function.parameters\` must be a JSON Schema object.`, `tools[${i}].function.parameters`);
    }
    if (tools.some((t) => t.name === fn.name)) return fail(`\`tools\` names the function "${fn.name}" twice; names must be unique.`, 'tools');
    tools.push({ name: fn.name, parameters: fn.parameters ?? { type: 'object', properties: {} } });
  }
  const parallelRaw = body.parallel_tool_calls;
  if (parallelRaw !== undefined && parallelRaw !== null && typeof parallelRaw !== 'boolean') {
    return fail('`parallel_tool_calls` must be true or false.', 'parallel_tool_calls');
  }
  const parallel = parallelRaw !== false;
  const choice = body.tool_choice ?? (tools.length ? 'auto' : 'none');
  if (choice === 'none') return { ok: true, plan: { kind: 'none' } };
  if (choice === 'auto' || choice === 'required') {
    if (!tools.length) {
      if (choice === 'auto') return { ok: true, plan: { kind: 'none' } };
      return fail('`tool_choice` is "required" but `tools` is empty. Send the functions the model may call in `tools`.', 'tool_choice');
    }
    return { ok: true, plan: { kind: choice, tools, parallel } };
  }
  const name = isObject(choice) && isObject(choice.function) ? choice.function.name : undefined;
  if (!isObject(choice) || (choice.type !== undefined && choice.type !== 'function') || typeof name !== 'string') {
    return fail(
      '`tool_choice` must be "none", "auto", "required" or {"type": "function", "function": {"name": "<one of tools>"}}.',
      'tool_choice',
    );
  }
  const tool = tools.find((t) => t.name === name);
  if (!tool) return fail(`\`tool_choice\` names the function "${name}", which is not in \`tools\`. Add it to \`tools\` or name one that is.`, 'tool_choice');
  return { ok: true, plan: { kind: 'named', tool } };
}

/**
 * Which tools this answer calls. `auto` calls one tool unless the conversation's last message is a tool result
 * (then it answers in text, so agent loops end); `required` calls every tool when parallel calls are allowed.
 */
export function chooseCalls(plan: ToolPlan, lastRole: string | undefined, random: Random): ToolFunction[] {
  switch (plan.kind) {
    case 'none':
      return [];
    case 'named':
      return [plan.tool];
    case 'auto':
      if (lastRole === 'tool' || lastRole === 'function') return [];
      return [plan.tools[Math.floor(random() * plan.tools.length)] as ToolFunction];
    case 'required':
      return plan.parallel ? plan.tools.slice(0, MAX_PARALLEL_TOOL_CALLS) : [plan.tools[Math.floor(random() * plan.tools.length)] as ToolFunction];
  }
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `call_` and 24 characters, as Together's ids look. */
function callId(random: Random): string {
  let id = 'call_';
  for (let i = 0; i < 24; i++) id += ID_ALPHABET.charAt(Math.floor(random() * ID_ALPHABET.length));
  return id;
}

export type ToolCallsResult = { ok: true; calls: GeneratedToolCall[] } | { ok: false; error: EmulatorError };

/** The calls with their arguments, or a 400 naming the tool whose parameters no value can satisfy. */
export function generateToolCalls(tools: readonly ToolFunction[], random: Random): ToolCallsResult {
  const calls: GeneratedToolCall[] = [];
  for (const tool of tools) {
    try {
      calls.push({ id: callId(random), name: tool.name, arguments: JSON.stringify(schemaInstance(tool.parameters, random)) });
    } catch (error) {
      if (!(error instanceof UnsatisfiableSchema)) throw error;
      return {
        ok: false,
        error: invalidRequest(
          `The parameters schema of tool "${tool.name}" cannot be satisfied at ${error.message}. Fix the schema in \`tools\`.`,
          'tools',
        ),
      };
    }
  }
  return { ok: true, calls };
}
