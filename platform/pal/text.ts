/** UTF-8 text coding: Moddable has TextEncoder/TextDecoder as modules, not globals. */
export interface TextCodec {
  encode(text: string): Uint8Array;
  /** Throws on malformed UTF-8 when `fatal` is true. */
  decode(bytes: Uint8Array, fatal?: boolean): string;
}
