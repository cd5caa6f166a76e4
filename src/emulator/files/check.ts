// The server-side check Together runs on a `fine-tune` file after upload, reported through `processing_status`
// (COMPLETED / INVALID_FORMAT) and `validation_report`. It is tether's own validator (src/datasets, the same rules
// `tether validate` applies, one implementation), so a file the validator passes is never INVALID_FORMAT here and
// the reverse. The report names the first error the way the Files API does (together-api-facts.md §2.3);
// Together's own wording is unconfirmed: "Invalid format on line N of the input file." is the TS SDK's check text.
import { validateBytes } from '../../datasets/index.js';
import type { Issue, ValidationReport as DatasetReport } from '../../datasets/index.js';

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

const FORMAT_NAMES: Record<string, string> = { conversation: 'CONVERSATION', instruction: 'INSTRUCTION', text: 'GENERAL', preference: 'PREFERENCE', tokenized: 'TOKENIZED' };

/** How Together's checks open some messages (the Python SDK's wording), before tether's own explanation. */
const LEADS: Partial<Record<Issue['rule'], string>> = {
  'message.content-missing': 'Missing required column `content`: ',
  'message.role-missing': 'Missing required column `role`: ',
  'format.mixed': 'Found multiple dataset formats in the input file: ',
  'keys.extra': 'Found an extra column: ',
};

interface Flags {
  messageWeights: boolean;
  sampleWeights: boolean;
  tools: boolean;
  multimodal: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The report's dataset_has_* flags: what a valid file's examples use (read only for the flags). */
function flagsOf(bytes: Buffer): Flags {
  const flags: Flags = { messageWeights: false, sampleWeights: false, tools: false, multimodal: false };
  const scanMessages = (messages: unknown): void => {
    if (!Array.isArray(messages)) return;
    for (const message of messages) {
      if (!isObject(message)) continue;
      if (message.weight !== undefined) flags.messageWeights = true;
      if (Array.isArray(message.tool_calls) || message.role === 'tool') flags.tools = true;
      if (Array.isArray(message.content)) flags.multimodal = true;
    }
  };
  for (const line of bytes.toString('utf8').split(/\r?\n|\r/)) {
    let sample: unknown;
    try {
      sample = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObject(sample)) continue;
    if (sample.weight !== undefined) flags.sampleWeights = true;
    if (sample.tools !== undefined) flags.tools = true;
    if (Array.isArray(sample.prompt) || Array.isArray(sample.text) || Array.isArray(sample.completion)) flags.multimodal = true;
    scanMessages(sample.messages);
    if (isObject(sample.input)) {
      if (sample.input.tools !== undefined) flags.tools = true;
      scanMessages(sample.input.messages);
    }
    scanMessages(sample.preferred_output);
    scanMessages(sample.non_preferred_output);
  }
  return flags;
}

/** The first error, as the Files API's `validation_report.error`. */
function errorText(report: DatasetReport): string | undefined {
  const first = report.errors[0];
  if (first === undefined) {
    const omitted = Object.keys(report.omitted)[0];
    return report.valid ? undefined : `The input file is invalid (${omitted ?? 'unknown rule'}).`;
  }
  const lead = LEADS[first.rule] ?? '';
  const where = first.line === 0 ? 'The input file is invalid.' : `Invalid format on ${report.format === 'tokenized' ? 'row' : 'line'} ${first.line} of the input file.`;
  return `${where} ${lead}${first.message} (rule ${first.rule})`;
}

/**
 * The server-side verdict on a `fine-tune` file named `fileName`: its extension decides JSONL or Parquet, exactly as
 * for `tether validate` on a file of that name (a name without .jsonl / .parquet fails file.extension there too).
 * `fileType` (the upload form's) is only reported back, as the Files API does.
 */
export async function checkFineTuneFile(fileId: string, fileName: string, fileType: FileType, bytes: Buffer): Promise<ValidationReport> {
  void fileType;
  const report = await validateBytes(fileName, bytes);
  const error = errorText(report);
  const none: Flags = { messageWeights: false, sampleWeights: false, tools: false, multimodal: false };
  const flags = error === undefined && report.format !== 'tokenized' ? flagsOf(bytes) : none;
  return {
    valid: error === undefined,
    ...(error !== undefined ? { error, error_type: 'INVALID_FORMAT' as const } : {}),
    ...(report.format !== null ? { dataset_format: FORMAT_NAMES[report.format] } : {}),
    nlines: report.samples,
    file_id: fileId,
    dataset_has_message_weights: flags.messageWeights,
    dataset_has_sample_weights: flags.sampleWeights,
    dataset_has_tools: flags.tools,
    dataset_is_multimodal: flags.multimodal,
  };
}
