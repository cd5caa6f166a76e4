// Seeded randomness: every "random" choice the emulator makes (fault rates, generated text, vectors, ids)
// comes from here, so one seed gives one behaviour.

/** A uniform [0, 1) generator. */
export type Random = () => number;

/** mulberry32: tiny, fast, good enough for test traffic; same seed → same sequence. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts (joined with a separator that cannot appear in JSON text), as a 32-bit seed. */
export function hashSeed(...parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.map(String).join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A PRNG for one purpose, derived from the emulator seed and the inputs that should decide the outcome. */
export function seededRandom(...parts: readonly (string | number)[]): Random {
  return mulberry32(hashSeed(...parts));
}

/** An integer in [min, max]. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
