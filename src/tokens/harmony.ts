// The gpt-oss "harmony" chat format, rendered the way the model's own chat_template.jinja does it (no npm
// package ships that template). Where this renderer departs from it, it does so toward more tokens, never fewer:
// - The official template keeps only the first system/developer message as the developer "# Instructions";
//   here every system message is joined into them (a server may not drop the others).
// - It renders only an assistant message's first tool call; here every call is rendered.
// - Tool parameter schemas become TypeScript-like types for the common cases (string/number/boolean/enum,
//   arrays, flat objects); anything more complex (anyOf, nested $ref…) is written as its JSON, which has more
//   tokens than the TypeScript the official renderer writes.
// The system message carries today's date in the official template; a fixed date is used so counts are
// deterministic (o200k splits digits in groups of three, so every YYYY-MM-DD date costs the same).
import type { NormalizedMessage } from './messages.js';

export interface HarmonyOptions {
  addGenerationPrompt: boolean;
  tools?: readonly unknown[];
  /** YYYY-MM-DD. */
  date: string;
  reasoningEffort: 'low' | 'medium' | 'high';
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with Python's json.dumps separators (", " and ": "), as Jinja's tojson writes it. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (isRecord(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function tsType(schema: unknown): string {
  if (!isRecord(schema)) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `${tsType(schema.items)}[]`;
    case 'object':
      if (isRecord(schema.properties)) {
        const required = Array.isArray(schema.required) ? schema.required : [];
        const fields = Object.entries(schema.properties).map(
          ([name, spec]) => `${name}${required.includes(name) ? '' : '?'}: ${tsType(spec)},`,
        );
        return `{\n${fields.join('\n')}\n}`;
      }
      return 'object';
    default:
      return JSON.stringify(schema);
  }
}

function renderFunction(tool: unknown): string {
  const fn = isRecord(tool) && isRecord(tool.function) ? tool.function : isRecord(tool) ? tool : {};
  const name = typeof fn.name === 'string' ? fn.name : 'function';
  let out = typeof fn.description === 'string' ? `// ${fn.description}\n` : '';
  out += `type ${name} = `;
  const params = isRecord(fn.parameters) ? fn.parameters : undefined;
  if (!params || !isRecord(params.properties)) return `${out}() => any;\n\n`;
  const required = Array.isArray(params.required) ? params.required : [];
  out += '(_: {\n';
  for (const [param, spec] of Object.entries(params.properties)) {
    if (isRecord(spec) && typeof spec.description === 'string') out += `// ${spec.description}\n`;
    out += `${param}${required.includes(param) ? '' : '?'}: ${tsType(spec)}`;
    if (isRecord(spec) && spec.default !== undefined) out += `, // default: ${pythonJson(spec.default)}`;
    out += ',\n';
  }
  return `${out}}) => any;\n\n`;
}

function renderToolNamespace(tools: readonly unknown[]): string {
  return `## functions\n\nnamespace functions {\n\n${tools.map(renderFunction).join('')}} // namespace functions`;
}

function systemBlock(options: HarmonyOptions, hasTools: boolean): string {
  let text =
    'You are ChatGPT, a large language model trained by OpenAI.\n' +
    'Knowledge cutoff: 2024-06\n' +
    `Current date: ${options.date}\n\n` +
    `Reasoning: ${options.reasoningEffort}\n\n` +
    '# Valid channels: analysis, commentary, final. Channel must be included for every message.';
  if (hasTools) text += "\nCalls to these tools must go to the commentary channel: 'functions'.";
  return `<|start|>system<|message|>${text}<|end|>`;
}

function developerBlock(instructions: string, tools: readonly unknown[]): string {
  if (!instructions && tools.length === 0) return '';
  let text = '';
  if (instructions) text += `# Instructions\n\n${instructions}\n\n`;
  if (tools.length > 0) text += `# Tools\n\n${renderToolNamespace(tools)}`;
  return `<|start|>developer<|message|>${text}<|end|>`;
}

export function renderHarmony(messages: readonly NormalizedMessage[], options: HarmonyOptions): string {
  const tools = options.tools ?? [];
  const instructions = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.text)
    .join('\n\n');
  const turns = messages.filter((m) => m.role !== 'system');
  let out = systemBlock(options, tools.length > 0) + developerBlock(instructions, tools);
  let lastToolName = 'tool';
  turns.forEach((message, index) => {
    const isLast = index === turns.length - 1;
    if (message.role === 'assistant') {
      if (message.toolCalls) {
        const finalFollows = turns.slice(index + 1).some((m) => m.role === 'assistant' && !m.toolCalls);
        if (message.text && !finalFollows) {
          out += `<|start|>assistant<|channel|>analysis<|message|>${message.text}<|end|>`;
        }
        for (const call of message.toolCalls) {
          out += `<|start|>assistant to=functions.${call.name}<|channel|>commentary json<|message|>`;
          out += `${pythonJson(call.argumentsValue)}<|call|>`;
          lastToolName = call.name;
        }
      } else {
        const end = isLast && !options.addGenerationPrompt ? '<|return|>' : '<|end|>';
        out += `<|start|>assistant<|channel|>final<|message|>${message.text}${end}`;
      }
    } else if (message.role === 'tool') {
      const name = message.name ?? lastToolName;
      out += `<|start|>functions.${name} to=assistant<|channel|>commentary<|message|>${JSON.stringify(message.text)}<|end|>`;
    } else {
      out += `<|start|>user<|message|>${message.text}<|end|>`;
    }
  });
  if (options.addGenerationPrompt) out += '<|start|>assistant';
  return out;
}
