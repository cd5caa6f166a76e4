// Where a line's UTF-8 goes wrong, for messages (the check itself is node:buffer's isUtf8).

/** 1-based byte column of the first invalid UTF-8 sequence in bytes[from, to). */
export function firstInvalidUtf8(bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i - from + 1;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || i + k >= to || (c & 0xc0) !== 0x80) return i - from + 1;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i - from + 1;
    i += need + 1;
  }
  return to - from + 1;
}

/** True when bytes[at, to) is the start of a multi-byte UTF-8 character cut short by the end of the data. */
export function isCutCharacter(bytes: Uint8Array, at: number, to: number): boolean {
  const lead = bytes[at]!;
  const length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xc2 && lead <= 0xdf ? 2 : 0;
  if (length === 0 || to - at >= length) return false;
  for (let i = at + 1; i < to; i++) if ((bytes[i]! & 0xc0) !== 0x80) return false;
  return true;
}
