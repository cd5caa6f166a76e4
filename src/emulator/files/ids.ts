// Ids for stored files and fine-tune jobs, shaped like Together's (`file-<uuid>`, `ft-<uuid>`), drawn from the
// seeded PRNG so one seed numbers its files and jobs the same way every run.
import { seededRandom } from '../prng.js';

const HEX = '0123456789abcdef';

/** A version-4-shaped UUID from `random`. */
function uuid(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += HEX[Math.floor(random() * 16)];
  const variant = HEX[8 + Math.floor(random() * 4)] as string;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `prefix-<uuid>` ids, a different sequence per prefix. */
export function idGenerator(seed: number, prefix: string): () => string {
  const random = seededRandom(seed, 'ids', prefix);
  return () => `${prefix}-${uuid(random)}`;
}

/** An unguessable-looking token (hex) for presigned upload URLs. */
export function tokenGenerator(seed: number): () => string {
  const random = seededRandom(seed, 'upload-tokens');
  return () => {
    let out = '';
    for (let i = 0; i < 40; i++) out += HEX[Math.floor(random() * 16)];
    return out;
  };
}
