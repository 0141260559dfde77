/** System control: reboot into whatever the boot state selects. */
export interface SystemControl {
  /** Does not return on a device; on the Node host it ends the device process with a restart request. */
  reboot(reason: string): Promise<never>;
}
