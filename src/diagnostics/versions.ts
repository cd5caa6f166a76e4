// Versions a support engineer asks for first: tether, Node (and its OpenSSL), the OS.
import { readFileSync } from 'node:fs';
import { arch, platform, release, type as osType } from 'node:os';

export interface Versions {
  tether: string;
  node: string;
  openssl: string | undefined;
  os: { type: string; platform: string; release: string; arch: string };
}

/** tether's version from its package.json (two levels up from this file, in src/ and in dist/ alike). */
export function tetherVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function collectVersions(): Versions {
  return {
    tether: tetherVersion(),
    node: process.version,
    openssl: process.versions.openssl,
    os: { type: osType(), platform: platform(), release: release(), arch: arch() },
  };
}
