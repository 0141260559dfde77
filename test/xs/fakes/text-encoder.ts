/** Lane stand-in for Moddable's `text/encoder` module: the XS global of the same API. */
const XsTextEncoder = (globalThis as unknown as { TextEncoder: new () => { encode(text: string): Uint8Array } }).TextEncoder;
export default XsTextEncoder;
