/**
 * `npm run build:moddable [-- EXAMPLE] [--certs DIR]`: bundles the device app (the default platform
 * app platform/moddable/main.ts, or examples/EXAMPLE/moddable.ts), the portable SDK and its npm
 * dependencies (mqtt-packet with its shims, cbor-x, @noble/curves, @noble/hashes) into the ES
 * modules the top-level manifest.json names, under build/moddable/:
 *
 *   main.js          the app bundle (esbuild, format esm); Moddable's own modules stay imports
 *   build-info.js    a frozen record of what was built (preloaded into flash)
 *   certs/           DER files the manifest's "data" flashes as resources (copied from --certs)
 *   bundle-report.json  bytes per input package, and the Moddable modules the bundle imports
 *
 * Then `mcconfig -d -m -p esp32/esp32s3 ssid=… password=…` in the repository root builds and
 * flashes (docs/moddable.md). The esbuild configuration is tools/moddable-bundle-config.mjs, shared
 * with the XS lane (`npm run test:xs`), so the lane runs what this build ships.
 */
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { moddablePreludes, repoRoot, xsBuildOptions } from './moddable-bundle-config.mjs';

/** Each Moddable module the bundle may import, and the manifest include that provides it. */
export const MODDABLE_MODULE_PROVIDERS: Record<string, string> = {
  preference: '$(MODDABLE)/modules/files/preference/manifest.json',
  timer: '$(MODDABLE)/examples/manifest_base.json',
  time: '$(MODDABLE)/examples/manifest_base.json',
  Resource: '$(MODDABLE)/examples/manifest_base.json',
  sntp: '$(MODDABLE)/examples/manifest_net.json',
  'embedded:network/interface/wifi': '$(MODDABLE)/examples/manifest_net.json',
  'text/encoder': '$(MODDABLE)/modules/data/text/encoder/manifest.json',
  'text/decoder': '$(MODDABLE)/modules/data/text/decoder/manifest.json',
  'embedded:storage/flash': '$(MODDABLE)/modules/io/flash/esp32/manifest.json',
  'embedded:update': '$(MODDABLE)/modules/io/update/manifest.json',
  'embedded:io/socket/tcp': '$(MODDABLE)/modules/io/manifest.json',
  'embedded:io/socket/udp': '$(MODDABLE)/modules/io/manifest.json',
  'embedded:network/dns/resolver/udp': '$(MODDABLE)/examples/io/tcp/httpclient/manifest_httpclient.json',
  'embedded:network/http/client': '$(MODDABLE)/examples/io/tcp/httpclient/manifest_httpclient.json',
  'embedded:io/socket/tcp/tls': '$(MODDABLE)/examples/io/tcp/tlssocket/manifest.json',
  crypt: '$(MODDABLE)/modules/crypt/digest/manifest.json',
  'mc/config': 'mcconfig (the manifest "config")',
  'mc/ffi': 'mcconfig (the manifest "ffi")',
  'mi/build-info': 'build/moddable/build-info.js (this build)',
};

export interface BuildResult {
  outDir: string;
  app: string;
  entry: string;
  mainBytes: number;
  moddableImports: string[];
  packages: Record<string, number>;
}

function parseArgs(argv: string[]): { example?: string; certs?: string; outDir: string } {
  let example: string | undefined;
  let certs: string | undefined;
  let outDir = path.join(repoRoot, 'build/moddable');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--certs') certs = argv[++i];
    else if (arg === '--out') outDir = path.resolve(argv[++i] ?? '');
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (usage: build:moddable [EXAMPLE] [--certs DIR] [--out DIR])`);
    else if (example === undefined) example = arg;
    else throw new Error(`one example at a time, got ${example} and ${arg}`);
  }
  return { example, certs, outDir };
}

function entryOf(example: string | undefined): { app: string; entry: string } {
  if (example === undefined) return { app: 'platform', entry: path.join(repoRoot, 'platform/moddable/main.ts') };
  const entry = path.join(repoRoot, 'examples', example, 'moddable.ts');
  if (!existsSync(entry)) {
    const examples = existsSync(path.join(repoRoot, 'examples'))
      ? readdirSync(path.join(repoRoot, 'examples')).filter((name) => existsSync(path.join(repoRoot, 'examples', name, 'moddable.ts')))
      : [];
    throw new Error(`no device entry examples/${example}/moddable.ts; examples with one: ${examples.join(', ') || 'none'}`);
  }
  return { app: example, entry };
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match) return match[1]!;
  return input.split('/')[0] ?? input;
}

export async function buildModdable(argv: string[] = []): Promise<BuildResult> {
  const { example, certs, outDir } = parseArgs(argv);
  const { app, entry } = entryOf(example);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, 'certs'), { recursive: true });

  const source = readFileSync(entry, 'utf8');
  const hasDefault = /export\s+default\b/.test(source);
  const wrapper = [
    ...moddablePreludes.map((prelude) => `import ${JSON.stringify(prelude)};`),
    `export * from ${JSON.stringify(entry)};`,
    hasDefault ? `export { default } from ${JSON.stringify(entry)};` : '',
  ].join('\n');

  const result = await esbuild.build({
    ...xsBuildOptions('moddable'),
    stdin: { contents: wrapper, resolveDir: repoRoot, sourcefile: 'moddable-main.js', loader: 'js' },
    format: 'esm',
    outfile: path.join(outDir, 'main.js'),
    metafile: true,
    write: true,
    banner: { js: `// mi-device-sdk device bundle (${app}), generated by tools/build-moddable.ts; do not edit.` },
  });

  const metafile = result.metafile!;
  const output = metafile.outputs[path.relative(process.cwd(), path.join(outDir, 'main.js'))] ?? Object.values(metafile.outputs)[0]!;
  const moddableImports = [...new Set(output.imports.filter((imported) => imported.external).map((imported) => imported.path))].sort();
  const unknown = moddableImports.filter((specifier) => !(specifier in MODDABLE_MODULE_PROVIDERS));
  if (unknown.length > 0) {
    throw new Error(`the bundle imports Moddable modules no manifest include provides: ${unknown.join(', ')} (add them to MODDABLE_MODULE_PROVIDERS and manifest.json)`);
  }
  const packages: Record<string, number> = {};
  for (const [input, info] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    packages[name] = (packages[name] ?? 0) + info.bytesInOutput;
  }

  const mainBytes = output.bytes;
  const packageJson = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const buildInfo = { sdkVersion: packageJson.version, app, builtAt: new Date().toISOString(), bundleBytes: mainBytes };
  writeFileSync(
    path.join(outDir, 'build-info.js'),
    `// Generated by tools/build-moddable.ts; preloaded (manifest.json), so it lives in flash.\nconst buildInfo = Object.freeze(${JSON.stringify(buildInfo)});\nexport default buildInfo;\n`,
  );

  if (certs) {
    for (const name of readdirSync(certs)) if (name.endsWith('.der')) copyFileSync(path.join(certs, name), path.join(outDir, 'certs', name));
  }
  const report: BuildResult = { outDir, app, entry: path.relative(repoRoot, entry), mainBytes, moddableImports, packages };
  writeFileSync(path.join(outDir, 'bundle-report.json'), JSON.stringify({ ...report, outDir: path.relative(repoRoot, outDir) }, null, 2) + '\n');
  return report;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(repoRoot, 'tools/build-moddable.ts');
if (invokedDirectly) {
  buildModdable(process.argv.slice(2)).then(
    (report) => {
      console.log(`build/moddable/main.js: ${report.mainBytes.toLocaleString('en-US')} bytes (${report.app}: ${report.entry})`);
      const top = Object.entries(report.packages).sort((a, b) => b[1] - a[1]);
      for (const [name, bytes] of top) console.log(`  ${name.padEnd(28)} ${bytes.toLocaleString('en-US').padStart(9)} B`);
      console.log(`Moddable modules imported: ${report.moddableImports.join(', ')}`);
      console.log('next: mcconfig -d -m -p esp32/esp32s3 ssid=<SSID> password=<PASSWORD>   (see docs/moddable.md)');
    },
    (error: unknown) => {
      console.error(`build:moddable failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
