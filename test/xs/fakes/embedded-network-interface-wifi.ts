/**
 * Lane fake of ECMA-419 `embedded:network/interface/wifi`: an access-point table; connect walks
 * 300 → 400 → 500 on the virtual clock (or 300 → 200 for a wrong password / unknown SSID).
 */
import { virtualTime } from '../virtual-time.js';

export interface FakeAccessPoint {
  SSID: string;
  password?: string;
  RSSI: number;
  channel: number;
  authentication: string;
}

export const wifiFake = {
  accessPoints: [] as FakeAccessPoint[],
  /** Every live instance, so a scenario can drop the link (`dropLink`). */
  instances: new Set<WiFi>(),
  dropLink(): void {
    for (const wifi of wifiFake.instances) wifi.fakeSetConnection(200);
  },
};

export default class WiFi {
  #connection = 200;
  #address: string | undefined;
  readonly #onChanged: ((property?: string) => void) | undefined;

  constructor(options: { onChanged?: (property?: string) => void }) {
    this.#onChanged = options.onChanged;
    wifiFake.instances.add(this);
  }

  get connection(): number {
    return this.#connection;
  }

  get address(): string | undefined {
    return this.#address;
  }

  fakeSetConnection(code: number): void {
    this.#connection = code;
    this.#address = code === 500 ? '192.168.1.20' : undefined;
    this.#onChanged?.('connection');
  }

  connect({ SSID, password }: { SSID: string; password?: string }): void {
    if (typeof SSID !== 'string' || SSID.length === 0 || SSID.length > 32) throw new Error('invalid SSID');
    this.fakeSetConnection(300);
    const ap = wifiFake.accessPoints.find((candidate) => candidate.SSID === SSID);
    const ok = ap !== undefined && (ap.password ?? '') === (password ?? '');
    virtualTime.set(() => this.fakeSetConnection(ok ? 400 : 200), 800);
    if (ok) virtualTime.set(() => this.fakeSetConnection(500), 1_500);
  }

  disconnect(): void {
    this.fakeSetConnection(200);
  }

  scan({ onFound, onComplete }: { onFound?: (result: FakeAccessPoint) => void; onComplete?: () => void }): void {
    virtualTime.set(() => {
      for (const ap of wifiFake.accessPoints) onFound?.({ ...ap });
      onComplete?.();
    }, 2_000);
  }

  close(): void {
    wifiFake.instances.delete(this);
  }
}
