/**
 * Host name → dotted IPv4 address. Moddable's ECMA-419 TCP socket takes only `address` (the lwIP
 * binding ignores `host`), so every connect resolves first, through `embedded:network/dns/resolver/udp`.
 */
import Resolver from 'embedded:network/dns/resolver/udp';
import UDP from 'embedded:io/socket/udp';
import type { Timers } from '../pal/index.js';
import { TransportError } from '../pal/index.js';

const DOTTED_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isDottedIpv4(host: string): boolean {
  return DOTTED_IPV4.test(host);
}

export class DnsResolver {
  readonly #servers: string[];
  readonly #timers: Timers;
  readonly #timeoutMs: number;

  constructor(options: { servers: string[]; timers: Timers; timeoutMs?: number }) {
    if (options.servers.length === 0) throw new RangeError('at least one DNS server is required');
    this.#servers = options.servers;
    this.#timers = options.timers;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The servers and socket the Moddable HTTP client takes as its `dns` option. */
  get moddableOptions(): { io: typeof Resolver; servers: string[]; socket: { io: typeof UDP } } {
    return { io: Resolver, servers: this.#servers, socket: { io: UDP } };
  }

  resolve(host: string): Promise<string> {
    if (isDottedIpv4(host)) return Promise.resolve(host);
    return new Promise((resolve, reject) => {
      let done = false;
      const resolver = new Resolver({ servers: this.#servers, socket: { io: UDP } });
      const finish = (address: string | undefined) => {
        if (done) return;
        done = true;
        this.#timers.clear(timer);
        resolver.close();
        if (address !== undefined && isDottedIpv4(address)) resolve(address);
        else reject(new TransportError('unreachable', `DNS: cannot resolve ${host}${address === undefined ? '' : ` (got ${address})`}`));
      };
      const timer = this.#timers.set(() => finish(undefined), this.#timeoutMs);
      resolver.resolve({
        host,
        onResolved: (_host, address) => finish(String(address)),
        onError: () => finish(undefined),
      });
    });
  }
}
