/** Lane stand-in for Moddable's `text/decoder` module: the XS global of the same API. */
const XsTextDecoder = (globalThis as unknown as { TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: ArrayBuffer | ArrayBufferView): string } }).TextDecoder;
export default XsTextDecoder;
