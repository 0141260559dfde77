/** Naming rules shared by the generator and the capability-schema reader. */

export function upperFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toUpperCase() + name.slice(1);
}

export function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1);
}

/** `OnOff` → `on-off`, `WebRTCTransportProvider` → `web-rtc-transport-provider`, `Pm25Concentration` → `pm25-concentration`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Enum and bitmap member names without Matter's `k` prefix (`kOff` → `Off`), unless stripping would
 * leave an invalid identifier (`k2G4`) or collide with another member; then the whole set keeps the
 * original names, so a type's members follow one rule.
 */
export function memberNames(names: readonly string[]): string[] {
  const stripped = names.map((n) => (/^k[A-Z0-9_]/.test(n) ? n.slice(1) : n));
  const ok = stripped.every((n) => isIdentifier(n)) && new Set(stripped).size === stripped.length;
  return ok ? stripped : [...names];
}
