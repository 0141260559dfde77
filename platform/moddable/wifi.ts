/**
 * PAL Wifi over ECMA-419 `embedded:network/interface/wifi` (Moddable's wifi-esp32). The `connection`
 * codes are 200 disconnected, 300 connecting, 400 connected (associated), 500 has an IP address.
 */
import WiFi from 'embedded:network/interface/wifi';
import type { AccessPoint, Timers, Wifi, WifiStatus } from '../pal/index.js';
import { SdkError, TimeoutError } from '../../modules/util/errors.js';

export const WifiConnection = { disconnected: 200, connecting: 300, connected: 400, gotIp: 500 } as const;

export class WifiConnectError extends SdkError {
  constructor(readonly ssid: string) {
    super(`Wi-Fi connection to '${ssid}' failed (dropped back to disconnected)`);
  }
}

export function wifiStatusOf(code: number): WifiStatus {
  if (code >= WifiConnection.gotIp) return 'got-ip';
  if (code >= WifiConnection.connected) return 'connected';
  if (code >= WifiConnection.connecting) return 'connecting';
  return 'disconnected';
}

export class ModdableWifi implements Wifi {
  readonly #wifi: WiFi;
  readonly #timers: Timers;
  readonly #connectTimeoutMs: number;
  readonly #listeners = new Set<(status: WifiStatus) => void>();
  #last: WifiStatus;

  constructor(options: { timers: Timers; connectTimeoutMs?: number }) {
    this.#timers = options.timers;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.#wifi = new WiFi({ onChanged: () => this.#changed() });
    this.#last = wifiStatusOf(this.#wifi.connection);
  }

  get status(): WifiStatus {
    return wifiStatusOf(this.#wifi.connection);
  }

  #changed(): void {
    const status = this.status;
    if (status === this.#last) return;
    this.#last = status;
    for (const listener of [...this.#listeners]) listener(status);
  }

  onChanged(listener: (status: WifiStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the interface has an IP address; rejects if it falls back to disconnected or times out. */
  connect(credentials: { ssid: string; password?: string }): Promise<void> {
    if (this.status === 'got-ip') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let sawProgress = false;
      const finish = (error?: Error) => {
        unsubscribe();
        this.#timers.clear(timer);
        if (error) reject(error);
        else resolve();
      };
      const unsubscribe = this.onChanged((status) => {
        if (status === 'got-ip') finish();
        else if (status === 'disconnected' && sawProgress) finish(new WifiConnectError(credentials.ssid));
        else sawProgress = true;
      });
      const timer = this.#timers.set(() => finish(new TimeoutError(`Wi-Fi connect to '${credentials.ssid}'`, this.#connectTimeoutMs)), this.#connectTimeoutMs);
      try {
        this.#wifi.connect({ SSID: credentials.ssid, ...(credentials.password === undefined ? {} : { password: credentials.password }) });
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  async disconnect(): Promise<void> {
    if (this.status === 'disconnected') return;
    this.#wifi.disconnect();
  }

  scan(): Promise<AccessPoint[]> {
    return new Promise((resolve, reject) => {
      const found = new Map<string, AccessPoint>();
      try {
        this.#wifi.scan({
          onFound: (result) => {
            const known = found.get(result.SSID);
            if (!known || known.rssi < result.RSSI) {
              found.set(result.SSID, { ssid: result.SSID, rssi: result.RSSI, channel: result.channel, secure: (result.security ?? 'unknown') !== 'none' });
            }
          },
          onComplete: () => resolve([...found.values()].sort((a, b) => b.rssi - a.rssi)),
        });
      } catch (error) {
        reject(error);
      }
    });
  }
}
