// Request ids shaped like Together's (`ogzjdpL-6Ng1vN-9f391a08f8af75e1`: 7 and 6 base-62 characters, then 16
// hex), drawn from the seeded PRNG so a run with the same seed numbers its requests the same way.
import { createHash } from 'node:crypto';
import { seededRandom } from './prng.js';
import type { Random } from './prng.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

function draw(random: Random, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function requestIdGenerator(seed: number): () => string {
  const random = seededRandom(seed, 'request-ids');
  return () => `${draw(random, BASE62, 7)}-${draw(random, BASE62, 6)}-${draw(random, HEX, 16)}`;
}

/** The fixed `created` of reproducible responses: 2025-11-07, the catalog snapshot's date. */
export const REPRODUCIBLE_CREATED = 1762473600;

/** A Together-shaped id that depends only on the seed, the path and the request body (reproducible mode). */
export function contentResponseId(seed: number, path: string, body: unknown): string {
  const digest = createHash('sha256').update(`${seed}\n${path}\n${JSON.stringify(body)}`).digest();
  return requestIdGenerator(digest.readUInt32BE(0))();
}
