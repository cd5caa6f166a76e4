// The server-side check Together runs on a `fine-tune` file after upload, deliberately simpler than tether's own
// validator (src/datasets): UTF-8, one JSON object per line, one known format for every line, the format's
// required fields present and non-empty. It stops at the first problem and reports it as one readable
// `validation_report.error`, the way the Files API does (together-api-facts.md §2.3). Together's own wording is
// unconfirmed; the "Invalid format on line N of the input file." opening is the TypeScript SDK's check text.

export type FileType = 'jsonl' | 'csv' | 'parquet';

/** `FileResponse.validation_report` as the together-ai SDK types it. */
export interface ValidationReport {
  valid: boolean;
  error?: string;
  error_type?: 'INVALID_FORMAT';
  dataset_format?: string;
  nlines: number;
  file_id: string;
  dataset_has_message_weights: boolean;
  dataset_has_sample_weights: boolean;
  dataset_has_tools: boolean;
  dataset_is_multimodal: boolean;
}

type Format = 'GENERAL' | 'CONVERSATION' | 'INSTRUCTION' | 'PREFERENCE';

/** Tried in this order; the first whose keys are all present is the line's format. */
const FORMATS: ReadonlyArray<[Format, readonly string[]]> = [
  ['PREFERENCE', ['input', 'preferred_output', 'non_preferred_output']],
  ['CONVERSATION', ['messages']],
  ['INSTRUCTION', ['prompt', 'completion']],
  ['GENERAL', ['text']],
];

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

interface Flags {
  messageWeights: boolean;
  sampleWeights: boolean;
  tools: boolean;
  multimodal: boolean;
}

class LineProblem extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkContent(value: unknown, where: string, flags: Flags): void {
  if (typeof value === 'string' && value !== '') return;
  if (Array.isArray(value) && value.length > 0) {
    flags.multimodal = true;
    return;
  }
  throw new LineProblem(`${where} must be a non-empty string (or a list of content parts).`);
}

function checkMessages(messages: unknown, where: string, flags: Flags): void {
  if (!Array.isArray(messages) || messages.length === 0) throw new LineProblem(`\`${where}\` must be a non-empty list of messages.`);
  messages.forEach((message, index) => {
    if (!isObject(message)) throw new LineProblem(`message ${index + 1} of \`${where}\` is not an object.`);
    if (typeof message.role !== 'string') throw new LineProblem(`Missing required column \`role\` in message ${index + 1}.`);
    if (!ROLES.has(message.role)) throw new LineProblem(`message ${index + 1} has role "${message.role}"; use system, user, assistant or tool.`);
    if ('weight' in message) flags.messageWeights = true;
    if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      flags.tools = true;
      return;
    }
    if (!('content' in message)) throw new LineProblem(`Missing required column \`content\` in message ${index + 1}.`);
    checkContent(message.content, `the content of message ${index + 1}`, flags);
  });
}

function checkLine(sample: Record<string, unknown>, format: Format, flags: Flags): void {
  if ('weight' in sample) flags.sampleWeights = true;
  if ('tools' in sample) flags.tools = true;
  switch (format) {
    case 'CONVERSATION':
      return checkMessages(sample.messages, 'messages', flags);
    case 'INSTRUCTION':
      checkContent(sample.prompt, '`prompt`', flags);
      return checkContent(sample.completion, '`completion`', flags);
    case 'GENERAL':
      return checkContent(sample.text, '`text`', flags);
    case 'PREFERENCE':
      if (!isObject(sample.input)) throw new LineProblem('`input` must be an object with `messages`.');
      checkMessages(sample.input.messages, 'input.messages', flags);
      checkMessages(sample.preferred_output, 'preferred_output', flags);
      return checkMessages(sample.non_preferred_output, 'non_preferred_output', flags);
  }
}

function detect(sample: Record<string, unknown>): Format | undefined {
  return FORMATS.find(([, keys]) => keys.every((key) => key in sample))?.[0];
}

function report(fileId: string, nlines: number, flags: Flags, format?: Format, error?: string): ValidationReport {
  return {
    valid: error === undefined,
    ...(error !== undefined ? { error, error_type: 'INVALID_FORMAT' as const } : {}),
    ...(format !== undefined ? { dataset_format: format } : {}),
    nlines,
    file_id: fileId,
    dataset_has_message_weights: flags.messageWeights,
    dataset_has_sample_weights: flags.sampleWeights,
    dataset_has_tools: flags.tools,
    dataset_is_multimodal: flags.multimodal,
  };
}

function checkJsonl(fileId: string, bytes: Buffer): ValidationReport {
  const flags: Flags = { messageWeights: false, sampleWeights: false, tools: false, multimodal: false };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return report(fileId, 0, flags, undefined, 'The input file is not valid UTF-8 text. Save it as UTF-8 and upload it again.');
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the final newline
  let format: Format | undefined;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (problem: string): ValidationReport => report(fileId, lines.length, flags, format, `Invalid format on line ${lineNo} of the input file. ${problem}`);
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') return fail('The line is empty; remove blank lines.');
    let sample: unknown;
    try {
      sample = JSON.parse(line);
    } catch {
      return fail('The line is not valid JSON.');
    }
    if (!isObject(sample)) return fail('Each line must be a JSON object.');
    const lineFormat = detect(sample);
    if (lineFormat === undefined) {
      return fail(
        `No known dataset format matches its keys (${Object.keys(sample).join(', ') || 'none'}): expected "text", "messages", "prompt" and "completion", or "input", "preferred_output" and "non_preferred_output".`,
      );
    }
    if (format !== undefined && lineFormat !== format) {
      return report(
        fileId,
        lines.length,
        flags,
        format,
        `Found multiple dataset formats in the input file: line ${lineNo} is ${lineFormat} but line 1 is ${format}. Every line must use the same format.`,
      );
    }
    format = lineFormat;
    try {
      checkLine(sample, lineFormat, flags);
    } catch (error) {
      if (error instanceof LineProblem) return fail(error.message);
      throw error;
    }
  }
  if (lines.length === 0) return report(fileId, 0, flags, undefined, 'The input file is empty; it needs at least 1 sample.');
  return report(fileId, lines.length, flags, format);
}

const PARQUET_MAGIC = Buffer.from('PAR1');

/** The server-side verdict on a `fine-tune` file. */
export function checkFineTuneFile(fileId: string, fileType: FileType, bytes: Buffer): ValidationReport {
  const none: Flags = { messageWeights: false, sampleWeights: false, tools: false, multimodal: false };
  if (fileType === 'csv') return report(fileId, 0, none, undefined, 'CSV files are accepted for purpose "eval" only. Convert the dataset to JSONL.');
  if (fileType === 'parquet') {
    const ok = bytes.length >= 8 && bytes.subarray(0, 4).equals(PARQUET_MAGIC) && bytes.subarray(-4).equals(PARQUET_MAGIC);
    return report(fileId, 0, none, undefined, ok ? undefined : 'The input file is not a Parquet file (no PAR1 magic bytes).');
  }
  return checkJsonl(fileId, bytes);
}
