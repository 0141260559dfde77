/**
 * Power-loss injection shared by the lane's storage fakes: `armAfter(n)` lets n more durable writes
 * happen, then the next one is lost (not applied, as an NVS write whose entry never got its CRC) and
 * every later write fails too, until `reboot()` — what a device does after its power comes back.
 */
export class PowerLoss extends Error {
  override name = 'PowerLoss';
}

export class PowerSwitch {
  #remaining: number | undefined;
  #off = false;
  /** Durable writes applied since the switch was made (or reset). */
  writes = 0;

  armAfter(writes: number): void {
    this.#remaining = writes;
  }

  get off(): boolean {
    return this.#off;
  }

  /** Called by a fake before applying a durable write; throws once the power is gone. */
  beforeWrite(what: string): void {
    if (this.#off) throw new PowerLoss(`power is off (${what})`);
    if (this.#remaining !== undefined) {
      if (this.#remaining === 0) {
        this.#off = true;
        throw new PowerLoss(`power lost during ${what}`);
      }
      this.#remaining -= 1;
    }
    this.writes += 1;
  }

  reboot(): void {
    this.#off = false;
    this.#remaining = undefined;
  }
}

export const power = new PowerSwitch();
