/**
 * Firmware version comparison. Versions are dotted decimals (`1.2.0`, `v2.10.3`), optionally with a
 * pre-release (`1.3.0-rc.1`, lower than `1.3.0`) and build metadata (`+abc`, ignored), or the AWS
 * OTA packed form `0xMMmmbbbb` (major 8 bits, minor 8 bits, build 16 bits).
 */
import { ArgumentError } from '../util/errors.js';

interface ParsedVersion {
  numbers: number[];
  prerelease: string | undefined;
}

const DOTTED = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const PACKED = /^0x[0-9a-fA-F]{1,8}$/;

export function parseVersion(version: string): ParsedVersion {
  if (PACKED.test(version)) {
    const n = parseInt(version.slice(2), 16);
    return { numbers: [n >>> 24, (n >>> 16) & 0xff, n & 0xffff], prerelease: undefined };
  }
  const match = DOTTED.exec(version);
  if (!match) throw new ArgumentError(`expected a version like 1.2.3 or 0x01020003, got ${JSON.stringify(version)}`);
  return { numbers: match[1]!.split('.').map(Number), prerelease: match[2] };
}

/** -1, 0 or 1 as `a` is older than, the same as, or newer than `b`. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  const n = Math.max(pa.numbers.length, pb.numbers.length);
  for (let i = 0; i < n; i++) {
    const x = pa.numbers[i] ?? 0;
    const y = pb.numbers[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (pa.prerelease === pb.prerelease) return 0;
  if (pa.prerelease === undefined) return 1;
  if (pb.prerelease === undefined) return -1;
  return comparePrerelease(pa.prerelease, pb.prerelease);
}

/** SemVer §11: identifiers compared one by one, numeric ones numerically and below alphanumeric ones. */
function comparePrerelease(a: string, b: string): -1 | 0 | 1 {
  const xa = a.split('.');
  const xb = b.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const x = xa[i];
    const y = xb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
