/**
 * UTF-8 byte length of a JS string, computed without TextEncoder (absent as a global on XS). Lone
 * surrogates count 3 bytes, as an encoder writes U+FFFD for them. String limits in Matter are in
 * bytes, so `.length` (UTF-16 units on Node, code points on XS) is never the right measure.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    // XS indexes strings by code point, so charCodeAt can return an astral code point whole.
    else if (c > 0xffff) bytes += 4;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
