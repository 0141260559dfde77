/** PAL TextCodec over Moddable's `text/encoder` and `text/decoder` modules (not globals there). */
import TextEncoder from 'text/encoder';
import TextDecoder from 'text/decoder';
import type { TextCodec } from '../pal/index.js';

export function createModdableText(): TextCodec {
  const encoder = new TextEncoder();
  const lenient = new TextDecoder('utf-8');
  const fatal = new TextDecoder('utf-8', { fatal: true });
  return {
    encode: (text) => encoder.encode(text),
    decode: (bytes, isFatal) => (isFatal ? fatal : lenient).decode(bytes),
  };
}
