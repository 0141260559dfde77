/**
 * Matter ids as the Matter-form wire writes them: hex strings (`"0x0006"`, `"0x02"`). Parsing also
 * accepts decimal strings and numbers, since the guide's own examples are not consistent.
 */

/** Parses `"0x0006"`, `"6"` or `6` into a non-negative integer, or undefined. */
export function parseId(id: unknown): number | undefined {
  if (typeof id === 'number') return Number.isInteger(id) && id >= 0 && id <= 0xffff_ffff ? id : undefined;
  if (typeof id !== 'string' || id.length === 0 || id.length > 10) return undefined;
  const n = /^0[xX][0-9a-fA-F]{1,8}$/.test(id) ? parseInt(id.slice(2), 16) : /^[0-9]{1,10}$/.test(id) ? parseInt(id, 10) : NaN;
  return Number.isInteger(n) && n <= 0xffff_ffff ? n : undefined;
}

/** `0x` + hex, zero-padded to `digits` (clusters and attributes use 4, commands and fields 2). */
export function formatId(id: number, digits: number): string {
  return '0x' + id.toString(16).padStart(digits, '0');
}

export const formatClusterId = (id: number) => formatId(id, 4);
export const formatAttributeId = (id: number) => formatId(id, 4);
export const formatCommandId = (id: number) => formatId(id, id > 0xff ? 4 : 2);
export const formatFieldId = (id: number) => formatId(id, 2);
export const formatEventId = (id: number) => formatId(id, 2);

/** The AWS-defined pseudo commands of the Matter form (guide, "AWS.SendCommand"). */
export const UPDATE_STATE_COMMAND_ID = 0xff01;
export const READ_STATE_COMMAND_ID = 0xff02;
