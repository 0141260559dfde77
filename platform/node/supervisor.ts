/**
 * The Node host's "power supply": runs the device process and starts it again whenever it exits with
 * RESTART_EXIT_CODE (a reboot). At each start the device's boot loader (NodeFirmwareSlots.boot or
 * bootNodeFirmware) applies the A/B boot rules, so reboot → restart → boot is the device cycle.
 * Any other exit code (or a signal) ends supervision and is reported.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { RESTART_EXIT_CODE } from './system.js';

export interface SuperviseOptions {
  /** Executable and arguments of the device process (e.g. process.execPath, ['--import', 'tsx', 'boot.ts']). */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdio?: StdioOptions;
  /** Give up after this many restarts in a row (default Infinity): a boot loop must not spin forever in tests. */
  maxRestarts?: number;
  /** Called with each started process (to read its output, or to SIGKILL it as a power cut). */
  onStart?: (child: ChildProcess, restarts: number) => void;
}

export interface SupervisedDevice {
  /** Resolves when supervision ends: the last exit code (or the signal name). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; restarts: number }>;
  /** The process running now. */
  readonly current: ChildProcess | undefined;
  /** Stops supervising and terminates the device process. */
  stop(signal?: NodeJS.Signals): void;
}

export function superviseDevice(options: SuperviseOptions): SupervisedDevice {
  const maxRestarts = options.maxRestarts ?? Infinity;
  let current: ChildProcess | undefined;
  let stopped = false;
  let restarts = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; restarts: number }>((resolve, reject) => {
    const start = () => {
      const child = spawn(options.command, options.args, { env: options.env ?? process.env, cwd: options.cwd, stdio: options.stdio ?? 'inherit' });
      current = child;
      options.onStart?.(child, restarts);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (!stopped && code === RESTART_EXIT_CODE && restarts < maxRestarts) {
          restarts++;
          start();
        } else {
          current = undefined;
          resolve({ code, signal, restarts });
        }
      });
    };
    start();
  });
  return {
    exited,
    get current() {
      return current;
    },
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopped = true;
      current?.kill(signal);
    },
  };
}
