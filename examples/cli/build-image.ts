/**
 * `mi-device build-image --version V --out FILE [--self-test fail]`: a Node firmware image of the
 * device program, ready for `mi-cloud sign-firmware` and an OTA task.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildFirmwareImage } from '../host/image.js';

export default async function buildImageCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { version: { type: 'string' }, out: { type: 'string' }, 'self-test': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const usage = 'usage: mi-device build-image --version V --out FILE [--self-test pass|fail]\n';
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const selfTest = values['self-test'] ?? 'pass';
  if (!values.version || !values.out || (selfTest !== 'pass' && selfTest !== 'fail')) {
    process.stderr.write(usage);
    return 2;
  }
  const image = await buildFirmwareImage({ version: values.version, selfTest });
  writeFileSync(values.out, image);
  process.stdout.write(JSON.stringify({ version: values.version, out: values.out, size: image.length }) + '\n');
  return 0;
}
