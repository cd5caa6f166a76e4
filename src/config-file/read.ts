// Reading a config file (JSON or YAML) for every front door that takes one: the gateway, the emulator, the doctor and
// the debug bundle. A file that cannot be read or parsed is reported by place (line, column) and never by quoting
// it: a config may hold an API key, and the YAML parser's own messages print the offending line.
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { YAMLParseError, parse as parseYaml } from 'yaml';

export interface ConfigText {
  path: string;
  /** `.json` files are JSON; any other name is YAML, which reads JSON too. */
  format: 'json' | 'yaml';
  data: unknown;
}

/** A config file that cannot be read or parsed. The message never quotes the file's content. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/** Line and column of a JSON syntax error: from Node's message when it gives a position, else from the YAML parser. */
function jsonErrorPlace(text: string, error: unknown): string {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (position !== undefined) {
    const before = text.slice(0, Number(position));
    return ` at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
  }
  try {
    parseYaml(text); // JSON is YAML: its parser locates most JSON syntax errors too
  } catch (yamlError) {
    if (yamlError instanceof YAMLParseError && yamlError.linePos) return ` at line ${yamlError.linePos[0].line}, column ${yamlError.linePos[0].col}`;
  }
  return '';
}

/**
 * A file with nothing in it: a config is never empty. An editor that truncates a file and writes it a moment later, or
 * `: > gw.yaml`, must not be read as "no settings" (for the gateway: no client tokens, so no auth).
 */
function emptyFile(label: string, path: string, onlyComments: boolean): ConfigFileError {
  const what = onlyComments ? 'holds no settings (only comments, or null)' : 'is empty';
  return new ConfigFileError(`The ${label} ${path} ${what}; a config file must hold a mapping of settings (key: value).`);
}

/** Parses a config file's text; `label` names the file in errors ("gateway config"). An empty file is an error. */
export function parseConfigText(text: string, path: string, label = 'config file'): ConfigText {
  if (text.trim() === '') throw emptyFile(label, path, false);
  if (extname(path).toLowerCase() === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new ConfigFileError(`The ${label} ${path} is not valid JSON${jsonErrorPlace(text, error)}; fix the syntax (or use YAML with a .yaml name).`);
    }
    if (data === null) throw emptyFile(label, path, true);
    return { path, format: 'json', data };
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const place = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
    const code = error instanceof YAMLParseError ? ` (${error.code})` : '';
    throw new ConfigFileError(`The ${label} ${path} is not valid YAML${place}${code}; fix the syntax.`);
  }
  // A comment-only (or `~`) document parses to null or undefined: as empty as an empty file.
  if (data === null || data === undefined) throw emptyFile(label, path, true);
  return { path, format: 'yaml', data };
}

/**
 * The most bytes a config file may hold. Real ones are a few KiB; the bound is for a path that is not a config at all:
 * `--config /dev/zero` read until the process died of std::bad_alloc (18 s, 2 GB).
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The file's bytes, read up to MAX_CONFIG_BYTES (any file: a pipe or process substitution works too); undefined past it. */
function readBounded(path: string): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) return Buffer.concat(chunks, size);
      size += read;
      if (size > MAX_CONFIG_BYTES) return undefined;
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses a config file; a file that cannot be read is a ConfigFileError naming the path and the reason. */
export function readConfigFile(path: string, label = 'config file'): ConfigText {
  let bytes: Buffer | undefined;
  try {
    bytes = readBounded(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigFileError(`Cannot read the ${label} ${path} (${code}); check the path given to --config.`);
  }
  if (bytes === undefined) {
    throw new ConfigFileError(`The ${label} ${path} is larger than ${MAX_CONFIG_BYTES} bytes; a config file holds settings, a few KiB. Check the path given to --config.`);
  }
  return parseConfigText(bytes.toString('utf8'), path, label);
}
