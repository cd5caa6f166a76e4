// The catalogue of rule ids: stable names users can grep for, filter on and cite (docs/dataset-rules.md lists them with their sources).

export type Severity = 'error' | 'warning';

export interface RuleInfo {
  severity: Severity;
  /** One line: what the rule checks. */
  summary: string;
}

export const RULES = {
  'file.empty': { severity: 'error', summary: 'The file holds no example (it is empty or has only blank lines).' },
  'file.too-large': { severity: 'error', summary: 'The file is larger than the 50.1 GiB Together accepts.' },
  'file.extension': { severity: 'error', summary: 'The file name does not end in `.jsonl` or `.parquet` (Together picks the parser by extension).' },
  'line.utf8': { severity: 'error', summary: 'The line is not valid UTF-8.' },
  'line.bom': { severity: 'error', summary: 'The line starts with a UTF-8 byte order mark, which breaks JSON parsing.' },
  'line.blank': { severity: 'error', summary: 'The line is empty or only whitespace.' },
  'line.lone-cr': { severity: 'warning', summary: 'A carriage return not followed by a newline ends this line (old Mac line ending).' },
  'json.syntax': { severity: 'error', summary: 'The line is not valid JSON.' },
  'json.control-char': { severity: 'error', summary: 'A raw control character (TAB, U+0000-U+001F) appears inside a JSON string.' },
  'json.truncated': { severity: 'error', summary: 'The file ends in the middle of a JSON value (it was cut off).' },
  'line.not-object': { severity: 'error', summary: 'The line is JSON but not an object.' },
  'format.unknown': { severity: 'error', summary: 'The line matches none of the four dataset formats.' },
  'format.mixed': { severity: 'error', summary: "The line's format differs from the file's (set by its first example)." },
  'keys.extra': { severity: 'error', summary: 'The line has a top-level key its format does not allow.' },
  'messages.type': { severity: 'error', summary: '`messages` is not an array.' },
  'messages.empty': { severity: 'error', summary: '`messages` is an empty array.' },
  'messages.no-assistant': { severity: 'error', summary: 'The conversation has no assistant message, so nothing would be trained.' },
  'messages.mixed-content': { severity: 'error', summary: 'Some messages have string content and others a content-part list.' },
  'message.type': { severity: 'error', summary: 'A message is not an object.' },
  'message.role-missing': { severity: 'error', summary: 'A message has no `role`.' },
  'message.role-invalid': { severity: 'error', summary: 'A role is not one of the allowed roles.' },
  'message.role-repeat': { severity: 'error', summary: 'Two consecutive messages have the same role.' },
  'message.content-missing': { severity: 'error', summary: 'A message has no `content`.' },
  'message.content-type': { severity: 'error', summary: '`content` is neither a string nor a list of content parts.' },
  'message.weight': { severity: 'error', summary: '`weight` is not the integer 0 or 1.' },
  'message.image-weight': { severity: 'error', summary: 'A message with images has a weight other than 0.' },
  'content.empty': { severity: 'warning', summary: 'A message content, `text`, `prompt` or `completion` is an empty string.' },
  'content.part': { severity: 'error', summary: 'A content part is malformed (not an object, no `type`, unknown `type`, `text` not a string).' },
  'content.image-role': { severity: 'error', summary: 'An image appears outside a user message.' },
  'content.image-url': { severity: 'error', summary: 'An image is not a base64 data URL of a JPEG, PNG or WEBP.' },
  'content.image-size': { severity: 'error', summary: 'An image data URL is larger than 10 MiB of image.' },
  'content.image-count': { severity: 'error', summary: 'More than 10 images in one message or one example.' },
  'tools.invalid': { severity: 'error', summary: '`tools` is not a non-empty list of `{type: "function", function: {name}}`.' },
  'tool-call.invalid': { severity: 'error', summary: 'A `tool_calls` entry is malformed or sits on a non-assistant message.' },
  'tool-call.unknown-function': { severity: 'error', summary: 'A tool call names a function that `tools` does not declare.' },
  'preference.input': { severity: 'error', summary: '`input` is not an object with a `messages` list.' },
  'preference.last-turn': { severity: 'error', summary: 'The last `input` message is from the assistant.' },
  'preference.output': { severity: 'error', summary: '`preferred_output` / `non_preferred_output` is not a list of one assistant message.' },
  'field.type': { severity: 'error', summary: '`text`, `prompt` or `completion` is neither a string nor a content-part list.' },
  'sample.weight': { severity: 'error', summary: 'The top-level per-example `weight` (a loss multiplier) is not a number ≥ 0.' },
  'message.reasoning': { severity: 'error', summary: '`reasoning` / `reasoning_content` is not a string, sits on a non-assistant message, or both are given.' },
  'preference.reasoning': { severity: 'warning', summary: 'Only one of the two preference outputs carries reasoning (Together asks for it in both).' },
  'model.reasoning': { severity: 'error', summary: 'The example has reasoning but the model (--model) is not one Together fine-tunes on reasoning.' },
  'model.tools': { severity: 'error', summary: 'The example has tool data but the model (--model) is not one Together fine-tunes on function calling.' },
  'parquet.read': { severity: 'error', summary: 'The file is not a readable Parquet file.' },
  'parquet.schema': { severity: 'error', summary: 'A Parquet column is missing (`input_ids`, `attention_mask`) or not allowed (only those and `labels`).' },
  'parquet.type': { severity: 'error', summary: 'A Parquet cell is not a list of integers.' },
  'parquet.length': { severity: 'error', summary: 'A row is empty, or its `input_ids`, `attention_mask` and `labels` differ in length.' },
  'parquet.mask': { severity: 'error', summary: 'An `attention_mask` value is not 0 or 1.' },
  'parquet.label': { severity: 'error', summary: 'A `labels` value is neither -100 (masked) nor a token id ≥ 0.' },
  'parquet.token-range': { severity: 'error', summary: "A token id is negative or not below the model's vocabulary size (with --model)." },
  'example.too-long': { severity: 'error', summary: "The example has more tokens than the model's fine-tuning context (with --model)." },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

export const RULE_IDS = Object.keys(RULES) as RuleId[];

export function severityOf(rule: RuleId): Severity {
  return RULES[rule].severity;
}
