/**
 * `mi-device <command> [options]`: the device-side CLI (bin/mi-device.mjs). Each command lives in
 * examples/cli/<command>.ts and default-exports `(args: string[]) => Promise<number>` (the exit code).
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ default: (args: string[]) => Promise<number> }> }> = {
  provision: { summary: 'fleet-provision this device against a cloud and print the result as JSON', load: () => import('./cli/provision.js') },
  run: { summary: 'run an example as a simulated device against a running mi-cloud (reboots, OTA)', load: () => import('./cli/run.js') },
  'build-image': { summary: 'build a Node firmware image of the device program for an OTA update', load: () => import('./cli/build-image.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: mi-device <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nmi-device <command> --help for a command's options\n`;
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(usage());
  process.exitCode = name === undefined ? 2 : 0;
} else if (!(name in COMMANDS)) {
  process.stderr.write(`mi-device: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
  process.exitCode = 2;
} else {
  const command = await COMMANDS[name]!.load();
  process.exitCode = await command.default(args);
}
