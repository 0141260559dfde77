/**
 * Lane fake of Moddable's `sntp` (modules/network/sntp/sntp.js): answers after 50 ms of virtual time
 * with message 1 and `sntpFake.seconds`, or message -1 and a reason, then closes itself; a second
 * close is harmless, as the callback may not know it already happened.
 */
import { virtualTime } from '../virtual-time.js';

export const sntpFake = { seconds: 1_767_225_600 as number | undefined, hosts: [] as string[], open: 0 };

export default class SNTP {
  #timer: number | undefined;
  #open = true;

  constructor(options: { host: string }, callback: (message: number, value?: number | string) => string | void) {
    sntpFake.hosts.push(options.host);
    sntpFake.open += 1;
    this.#timer = virtualTime.set(() => {
      this.#timer = undefined;
      if (sntpFake.seconds === undefined) callback(-1, 'no response from SNTP server');
      else callback(1, sntpFake.seconds);
      this.close();
    }, 50);
  }

  close(): void {
    virtualTime.clear(this.#timer);
    if (this.#open) sntpFake.open -= 1;
    this.#open = false;
  }
}
