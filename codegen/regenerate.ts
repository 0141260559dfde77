/**
 * Regenerates (or with --check, verifies) every generated module committed to this repository.
 * `npm run codegen:check` is what CI runs: it fails when a committed module differs from what the
 * current generator makes of its inputs.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './cli.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const inputs = path.join(root, 'codegen/inputs');
const runtimeFrom = (out: string) =>
  path.relative(path.join(root, out), path.join(root, 'modules/datamodel/index.js')).split(path.sep).join('/');

/** Each committed output directory with the command line that makes it. */
export const COMMITTED_OUTPUTS: ReadonlyArray<{ out: string; args: string[] }> = [
  {
    out: 'examples/air-purifier/generated',
    args: [
      `${inputs}/air-purifier-app.matter`,
      '--clusters',
      [
        'BasicInformation', 'OnOff', 'FanControl', 'HepaFilterMonitoring', 'ActivatedCarbonFilterMonitoring', 'AirQuality',
        'CarbonDioxideConcentrationMeasurement', 'FormaldehydeConcentrationMeasurement', 'Pm25ConcentrationMeasurement',
        'Pm1ConcentrationMeasurement', 'TotalVolatileOrganicCompoundsConcentrationMeasurement',
      ].join(','),
    ],
  },
  {
    out: 'examples/camera/generated',
    args: [`${inputs}/camera-app.matter`, '--clusters', 'BasicInformation,CameraAvStreamManagement,WebRTCTransportProvider'],
  },
  {
    out: 'examples/simple-light/generated',
    args: [`${inputs}/custom-light.matter`, '--custom-schemas-dir', inputs],
  },
  {
    out: 'test/fixtures/generated/lighting',
    args: [`${inputs}/lighting-app.matter`, '--clusters', 'OnOff,LevelControl'],
  },
];

const isEntry = /regenerate\.ts$/.test(process.argv[1] ?? '');
if (isEntry) {
  const check = process.argv.includes('--check');
  let worst = 0;
  for (const { out, args } of COMMITTED_OUTPUTS) {
    const code = await main(
      ['generate', ...args, '--out', path.join(root, out), '--runtime', runtimeFrom(out), ...(check ? ['--check'] : [])],
      { stdout: (s) => process.stdout.write(s.replace(root + path.sep, '')), stderr: (s) => process.stderr.write(s.replace(root + path.sep, '')) },
    );
    worst = Math.max(worst, code);
  }
  process.exitCode = worst;
}
