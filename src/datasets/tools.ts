// Function-calling data as Together's current docs and newer Python SDK accept it: a top-level `tools`
// list, `tool_calls` on assistant messages and `tool` role replies (finetune-validation-rules.md, section 6).
import type { Problem } from './types.js';
import { describeType, isPlainObject } from './content.js';

/** Checks a line's `tools`; returns the declared function names, or undefined when `tools` is unusable. */
export function checkTools(tools: unknown, problems: Problem[]): Set<string> | undefined {
  if (!Array.isArray(tools) || tools.length === 0) {
    problems.push({
      rule: 'tools.invalid',
      message: `tools is ${Array.isArray(tools) ? 'an empty list' : describeType(tools)}; it must be a non-empty list like [{"type": "function", "function": {"name": "get_weather", "parameters": {...}}}], or be left out.`,
    });
    return undefined;
  }
  const names = new Set<string>();
  tools.forEach((tool: unknown, index) => {
    const where = `tools[${index}]`;
    if (!isPlainObject(tool) || tool.type !== 'function') {
      problems.push({ rule: 'tools.invalid', message: `${where} must be an object with "type": "function".` });
      return;
    }
    const fn = tool.function;
    if (!isPlainObject(fn) || typeof fn.name !== 'string' || fn.name.length === 0) {
      problems.push({ rule: 'tools.invalid', message: `${where}.function must be an object with a non-empty string "name".` });
      return;
    }
    names.add(fn.name);
  });
  return names;
}

/**
 * Checks one message's `tool_calls` (the key is present). Returns true when the message carries at least
 * one call, which makes its `content` optional.
 */
export function checkToolCalls(
  message: Record<string, unknown>,
  where: string,
  declared: Set<string> | undefined,
  problems: Problem[],
): boolean {
  const calls = message.tool_calls;
  if (message.role !== 'assistant') {
    problems.push({ rule: 'tool-call.invalid', message: `${where} has tool_calls but role ${JSON.stringify(message.role)}; only assistant messages make tool calls.` });
    return false;
  }
  if (!Array.isArray(calls) || calls.length === 0) {
    problems.push({ rule: 'tool-call.invalid', message: `${where}.tool_calls must be a non-empty list of {"id", "type": "function", "function": {"name", "arguments"}}.` });
    return false;
  }
  calls.forEach((call: unknown, index) => checkCall(call, `${where}.tool_calls[${index}]`, declared, problems));
  return true;
}

function checkCall(call: unknown, where: string, declared: Set<string> | undefined, problems: Problem[]): void {
  if (!isPlainObject(call)) {
    problems.push({ rule: 'tool-call.invalid', message: `${where} is ${describeType(call)}; it must be an object.` });
    return;
  }
  if ('type' in call && call.type !== 'function') {
    problems.push({ rule: 'tool-call.invalid', message: `${where}.type is ${JSON.stringify(call.type)}; it must be "function".` });
  }
  if ('id' in call && typeof call.id !== 'string') {
    problems.push({ rule: 'tool-call.invalid', message: `${where}.id must be a string.` });
  }
  const fn = call.function;
  if (!isPlainObject(fn) || typeof fn.name !== 'string' || fn.name.length === 0) {
    problems.push({ rule: 'tool-call.invalid', message: `${where}.function must be an object with a non-empty string "name".` });
    return;
  }
  if ('arguments' in fn && !isJsonObjectText(fn.arguments)) {
    problems.push({
      rule: 'tool-call.invalid',
      message: `${where}.function.arguments must be a string holding a JSON object, e.g. "{\\"city\\": \\"Paris\\"}" (encode the object with JSON.stringify).`,
    });
  }
  if (declared !== undefined && !declared.has(fn.name)) {
    problems.push({
      rule: 'tool-call.unknown-function',
      message: `${where} calls ${JSON.stringify(fn.name)}, which the line's tools do not declare (declared: ${[...declared].join(', ') || 'none'}). Add it to tools or fix the name.`,
    });
  }
}

function isJsonObjectText(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return isPlainObject(JSON.parse(value));
  } catch {
    return false;
  }
}
