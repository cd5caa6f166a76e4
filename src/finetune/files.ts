// The Files API's reads: one file, the account's files, deleting one.
import { z } from 'zod';
import { PATHS, pathTo } from '../api/index.js';
import type { Transport } from '../api/index.js';
import { readJson, unexpectedBody } from './errors.js';
import { fileObjectSchema } from './types.js';
import type { FileObject, RequestOptions } from './types.js';

const fileListSchema = z.looseObject({ data: z.array(fileObjectSchema) });
const deletedSchema = z.looseObject({ id: z.string().optional(), deleted: z.boolean().optional() });

export async function getFile(transport: Transport, id: string, options: RequestOptions = {}): Promise<FileObject> {
  const response = await transport.send({ method: 'GET', path: pathTo.file(id), signal: options.signal });
  const parsed = fileObjectSchema.safeParse(await readJson(response, options));
  if (!parsed.success) throw unexpectedBody(response, 'the body is not a file object (no `id`)');
  return parsed.data;
}

export async function listFiles(transport: Transport, options: RequestOptions = {}): Promise<FileObject[]> {
  const response = await transport.send({ method: 'GET', path: PATHS.files, signal: options.signal });
  const parsed = fileListSchema.safeParse(await readJson(response, options));
  if (!parsed.success) throw unexpectedBody(response, 'the body is not a file list ({"data": [...]})');
  return parsed.data.data;
}

export async function deleteFile(transport: Transport, id: string, options: RequestOptions = {}): Promise<{ id: string; deleted: boolean }> {
  const response = await transport.send({ method: 'DELETE', path: pathTo.file(id), signal: options.signal });
  const parsed = deletedSchema.safeParse(await readJson(response, options));
  if (!parsed.success) throw unexpectedBody(response, 'the body is not a delete result');
  return { id: parsed.data.id ?? id, deleted: parsed.data.deleted ?? true };
}
