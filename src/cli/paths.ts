// Input and output paths named on the command line, checked before any work starts: a file that cannot be read
// or a directory that cannot be written is the caller's mistake (exit 2, a usage error naming the path and the
// fix), never a finding about the data (exit 1) found halfway through.
import { accessSync, constants, openSync, closeSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './exit-codes.js';

/** Error codes that mean "this path, as given, is wrong", whatever reads or writes it. */
const PATH_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ENAMETOOLONG', 'ELOOP', 'EROFS']);

function codeOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function why(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return code ?? 'unknown error';
  }
}

function fixFor(code: string | undefined, reading: boolean): string {
  if (code === 'EACCES' || code === 'EPERM') return reading ? 'check its permissions (ls -l) or run as a user who may read it' : 'choose a directory you may write to, or fix its permissions';
  if (code === 'EROFS') return 'choose a path on a writable file system';
  if (code === 'ENOENT' && reading) return `check the path (relative paths start from ${process.cwd()})`;
  return reading ? 'give the path of a readable file' : 'choose another path';
}

function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Throws a UsageError unless `path` is a file this process can read. Pipes and devices (`/dev/stdin`, `<(…)`)
 * pass unopened: opening a FIFO would wait for its writer.
 */
export function checkInputFile(path: string, label: string): void {
  const what = `${label} ${path}`;
  try {
    const info = statSync(path);
    if (info.isDirectory()) throw new UsageError(`cannot read ${what}: it is a directory; give the path of a file in it`);
    if (!info.isFile()) return;
    closeSync(openSync(path, 'r'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = codeOf(error);
    throw new UsageError(`cannot read ${what}: ${why(code)}; ${fixFor(code, true)}`);
  }
}

/** Throws a UsageError unless `path` can be created or overwritten: its directory exists and is writable. */
export function checkOutputFile(path: string, label: string): void {
  const what = `${label} ${path}`;
  if (path.trim() === '') throw new UsageError(`${label} needs a file path`);
  try {
    const existing = stat(path);
    if (existing?.isDirectory()) throw new UsageError(`cannot write ${what}: it is a directory; give a file path such as ${path.replace(/\/+$/, '')}/out.jsonl`);
    const dir = dirname(resolve(path));
    const parent = stat(dir);
    if (parent === undefined) throw new UsageError(`cannot write ${what}: the directory ${dir} does not exist; create it first (mkdir -p ${dir}) or choose another path`);
    if (!parent.isDirectory()) throw new UsageError(`cannot write ${what}: ${dir} is not a directory; choose another path`);
    accessSync(existing ? path : dir, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = codeOf(error);
    throw new UsageError(`cannot write ${what}: ${why(code)}; ${fixFor(code, false)}`);
  }
}

/**
 * A file-system error about a path the command was given or derived (ENOENT, EACCES, EISDIR…) that reached the
 * top uncaught, as a usage error; undefined for anything else (a full disk is not the caller's mistake).
 */
export function pathUsageError(error: unknown): UsageError | undefined {
  const code = codeOf(error);
  const path = (error as NodeJS.ErrnoException | null)?.path;
  if (code === undefined || !PATH_CODES.has(code) || typeof path !== 'string') return undefined;
  const fix = code === 'EACCES' || code === 'EPERM' ? 'check its permissions (ls -l)' : code === 'EROFS' ? 'choose a path on a writable file system' : 'check the path';
  return new UsageError(`cannot use ${path}: ${why(code)}; ${fix}`);
}
