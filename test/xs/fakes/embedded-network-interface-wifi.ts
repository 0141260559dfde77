/**
 * Lane fake of ECMA-419 `embedded:network/interface/wifi`: an access-point table; connect walks
 * 300 → 400 → 500 on the virtual clock (or 300 → 200 for a wrong password / unknown SSID). The
 * connection state belongs to the interface, not to an instance (as on the device, where Moddable's
 * setup/network connects before `main` and the app's own instance sees the result); every instance
 * hears every change.
 */
import { virtualTime } from '../virtual-time.js';

export interface FakeAccessPoint {
  SSID: string;
  password?: string;
  RSSI: number;
  channel: number;
  security: string;
}

const station = { connection: 200, address: undefined as string | undefined };

export const wifiFake = {
  accessPoints: [] as FakeAccessPoint[],
  instances: new Set<WiFi>(),
  /** Sets the interface state (e.g. 500: what setup/network leaves behind) and tells every instance. */
  setConnection(code: number): void {
    station.connection = code;
    station.address = code === 500 ? '192.168.1.20' : undefined;
    for (const wifi of [...wifiFake.instances]) wifi.fakeNotify();
  },
  dropLink(): void {
    wifiFake.setConnection(200);
  },
  reset(): void {
    station.connection = 200;
    station.address = undefined;
    wifiFake.instances.clear();
  },
};

export default class WiFi {
  readonly #onChanged: ((property?: string) => void) | undefined;

  constructor(options: { onChanged?: (property?: string) => void }) {
    this.#onChanged = options.onChanged;
    wifiFake.instances.add(this);
  }

  get connection(): number {
    return station.connection;
  }

  get address(): string | undefined {
    return station.address;
  }

  fakeNotify(): void {
    this.#onChanged?.('connection');
  }

  connect({ SSID, password }: { SSID: string; password?: string }): void {
    if (typeof SSID !== 'string' || SSID.length === 0 || SSID.length > 32) throw new Error('invalid SSID');
    wifiFake.setConnection(300);
    const ap = wifiFake.accessPoints.find((candidate) => candidate.SSID === SSID);
    const ok = ap !== undefined && (ap.password ?? '') === (password ?? '');
    virtualTime.set(() => wifiFake.setConnection(ok ? 400 : 200), 800);
    if (ok) virtualTime.set(() => wifiFake.setConnection(500), 1_500);
  }

  disconnect(): void {
    wifiFake.setConnection(200);
  }

  scan({ onFound, onComplete }: { onFound?: (result: FakeAccessPoint) => void; onComplete?: () => void }): void {
    if (!onFound) throw new Error('onFound required'); // as wifi-esp32.c
    virtualTime.set(() => {
      for (const ap of wifiFake.accessPoints) {
        const { password: _password, ...visible } = ap;
        onFound({ ...visible } as FakeAccessPoint);
      }
      onComplete?.();
    }, 2_000);
  }

  close(): void {
    wifiFake.instances.delete(this);
  }
}
