import type { TextCodec } from '../pal/index.js';

/** UTF-8 via the WHATWG TextEncoder/TextDecoder globals Node provides. */
export class NodeTextCodec implements TextCodec {
  readonly #encoder = new TextEncoder();
  readonly #lenient = new TextDecoder('utf-8');
  readonly #fatal = new TextDecoder('utf-8', { fatal: true });

  encode(text: string): Uint8Array {
    return this.#encoder.encode(text);
  }

  decode(bytes: Uint8Array, fatal = false): string {
    return (fatal ? this.#fatal : this.#lenient).decode(bytes);
  }
}
