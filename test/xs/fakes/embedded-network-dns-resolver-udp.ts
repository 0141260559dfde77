/** Lane fake of ECMA-419 `embedded:network/dns/resolver/udp` over the lane's DNS table. */
import { networkFake } from './network.js';

export default class Resolver {
  #closed = false;
  constructor(options: { servers: string[]; socket: { io: unknown } }) {
    if (!Array.isArray(options.servers) || options.servers.length === 0) throw new Error('servers required');
    if (!options.socket?.io) throw new Error('socket.io required');
  }
  resolve({ host, onResolved, onError }: { host: string; onResolved(host: string, address: string): void; onError(host: string): void }): void {
    networkFake.later(() => {
      if (this.#closed) return;
      const address = networkFake.dns.get(host);
      if (address) onResolved(host, address);
      else onError(host);
    }, 20);
  }
  close(): void {
    this.#closed = true;
  }
}
