/** Lane fake of Moddable's `Resource`: files registered by a scenario in `resourceFake.files`. */
export const resourceFake = { files: new Map<string, Uint8Array>() };

export default class Resource extends ArrayBuffer {
  constructor(name: string) {
    const bytes = resourceFake.files.get(name);
    if (!bytes) throw new Error(`resource not found: ${name}`);
    super(bytes.length);
    new Uint8Array(this).set(bytes);
  }
  static exists(name: string): boolean {
    return resourceFake.files.has(name);
  }
}
