/**
 * Lane fake of Moddable's `preference` on ESP32 (modules/files/preference/esp32/modPreference.c over
 * NVS): the limits (15-character domains and keys, 4,000-byte values, no floats), and the way `set`
 * writes: it ERASES the key first (a workaround for an ESP-IDF type-change bug) and then writes the
 * new entry — two durable steps, so a power cut between them leaves the key absent. Each NVS step is
 * atomic by itself. Power cuts come from ./power-loss.ts; data survives `power.reboot()`, as NVS does.
 */
import { power } from './power-loss.js';

type Value = boolean | number | string | ArrayBuffer;
const NAME_MAX = 15;
const VALUE_MAX = 4000;

const domains = new Map<string, Map<string, Value>>();

function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_MAX) throw new Error(`${kind} too long or empty`);
}

function copy(value: Value): Value {
  return value instanceof ArrayBuffer ? value.slice(0) : value;
}

const Preference = {
  set(domain: string, key: string, value: Value): void {
    checkName('domain', domain);
    checkName('key', key);
    if (typeof value === 'number' && !Number.isInteger(value)) throw new Error('float unsupported');
    if (value instanceof ArrayBuffer && value.byteLength > VALUE_MAX) throw new Error('value too long');
    if (typeof value === 'string' && new TextEncoder().encode(value).length > VALUE_MAX) throw new Error('value too long');
    if (!(value instanceof ArrayBuffer) && !['boolean', 'number', 'string'].includes(typeof value)) throw new Error('unsupported type');
    let entries = domains.get(domain);
    if (!entries) domains.set(domain, (entries = new Map()));
    if (entries.has(key)) {
      power.beforeWrite(`preference set ${domain}/${key}: erase`);
      entries.delete(key);
    }
    power.beforeWrite(`preference set ${domain}/${key}: write`);
    entries.set(key, copy(value));
  },
  get(domain: string, key: string): Value | undefined {
    checkName('domain', domain);
    checkName('key', key);
    const value = domains.get(domain)?.get(key);
    return value === undefined ? undefined : copy(value);
  },
  delete(domain: string, key: string): void {
    checkName('domain', domain);
    checkName('key', key);
    if (!domains.get(domain)?.has(key)) return;
    power.beforeWrite(`preference delete ${domain}/${key}`);
    domains.get(domain)!.delete(key);
  },
  keys(domain: string): string[] {
    checkName('domain', domain);
    return [...(domains.get(domain)?.keys() ?? [])];
  },
};

/** Test access: every record of a domain, and a full wipe (a fresh device). */
export const preferenceFake = {
  entries(domain: string): Map<string, Value> {
    return new Map(domains.get(domain) ?? []);
  },
  erase(): void {
    domains.clear();
  },
};

export default Preference;
