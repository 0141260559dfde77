/**
 * Builds a Node firmware image: the device program (examples/host/program.ts and every example)
 * bundled by esbuild into one ES module with its version baked in, wrapped in the Node image header
 * (platform/node/boot-loader.ts). This is what an OTA update installs on the simulator host.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { buildNodeImage } from '../../platform/node/index.js';

const entry = fileURLToPath(new URL('./program.ts', import.meta.url));

export interface ImageOptions {
  version: string;
  /** `fail` builds an image whose self-test fails, to see a rollback. */
  selfTest?: 'pass' | 'fail';
}

/**
 * One ES module of a Node device program and everything it imports, with `define`d constants
 * (e.g. `__FIRMWARE_VERSION__`): "a bundled build of an example", what a Node image carries.
 */
export async function bundleNodeProgram(entryPath: string, define: Record<string, string>): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [entryPath],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    external: ['esbuild'],
    define: Object.fromEntries(Object.entries(define).map(([k, v]) => [k, JSON.stringify(v)])),
    // CommonJS dependencies (mqtt-packet, …) call require() for Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return result.outputFiles[0]!.contents;
}

export async function buildFirmwareImage(options: ImageOptions): Promise<Uint8Array> {
  const bundle = await bundleNodeProgram(entry, { __FIRMWARE_VERSION__: options.version, __SELF_TEST__: options.selfTest ?? 'pass' });
  return buildNodeImage(options.version, bundle);
}
