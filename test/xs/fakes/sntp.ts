/** Lane fake of Moddable's `sntp`: answers after 50 ms of virtual time with `sntpFake.seconds`, or fails. */
import { virtualTime } from '../virtual-time.js';

export const sntpFake = { seconds: 1_767_225_600 as number | undefined, hosts: [] as string[] };

export default class SNTP {
  static readonly time = 1;
  static readonly retry = 2;
  static readonly error = -1;
  #timer: number | undefined;

  constructor(options: { host: string }, callback: (message: number, value?: number) => void) {
    sntpFake.hosts.push(options.host);
    this.#timer = virtualTime.set(() => {
      this.#timer = undefined;
      if (sntpFake.seconds === undefined) callback(SNTP.error);
      else callback(SNTP.time, sntpFake.seconds);
    }, 50);
  }

  close(): void {
    virtualTime.clear(this.#timer);
  }
}
