import type { SystemControl } from '../pal/index.js';

/**
 * Exit code the Node device process uses for "reboot me" (75 = EX_TEMPFAIL in sysexits.h). A
 * supervisor (see supervisor.ts, or any process manager) restarts the device when it sees this code;
 * on restart the boot loader (NodeFirmwareSlots.boot) applies the A/B boot state.
 */
export const RESTART_EXIT_CODE = 75;

export interface NodeSystemOptions {
  /** Called before the process exits (flush logs, close files). */
  beforeExit?: (reason: string) => void | Promise<void>;
  /** Replaces the exit, e.g. in tests or when several devices share one host process. */
  exit?: (code: number, reason: string) => void;
}

export class NodeSystem implements SystemControl {
  readonly #options: NodeSystemOptions;

  constructor(options: NodeSystemOptions = {}) {
    this.#options = options;
  }

  async reboot(reason: string): Promise<never> {
    await this.#options.beforeExit?.(reason);
    if (this.#options.exit) {
      this.#options.exit(RESTART_EXIT_CODE, reason);
    } else {
      process.stderr.write(`reboot requested: ${reason}\n`);
      process.exit(RESTART_EXIT_CODE);
    }
    // A replaced exit returns; a device never does, so neither does this promise.
    return new Promise<never>(() => {});
  }
}
