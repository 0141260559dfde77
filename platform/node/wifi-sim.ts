import type { AccessPoint, Timers, Wifi, WifiStatus } from '../pal/index.js';
import { SdkError } from '../../modules/util/errors.js';

/** A simulated Wi-Fi connect failed (no such network, wrong password, or a failure a test scripted). */
export class WifiConnectError extends SdkError {
  constructor(readonly ssid: string, readonly reason: 'no-ap-found' | 'auth-failed' | 'scripted-failure') {
    super(`Wi-Fi connect to "${ssid}" failed: ${reason}`);
  }
}

export interface SimulatedNetwork extends AccessPoint {
  /** Required password for a secure network; any password is accepted when omitted. */
  password?: string;
}

export interface SimulatedWifiOptions {
  networks?: SimulatedNetwork[];
  /**
   * Network joined at start-up, so a Node device is online like its host (default `node-host`);
   * `null` starts disconnected, for tests of the connectivity wait.
   */
  initialSsid?: string | null;
  /** Delay of each step connecting → connected → got-ip (default 5 ms). */
  stepDelayMs?: number;
}

const DEFAULT_NETWORK: SimulatedNetwork = { ssid: 'node-host', rssi: -40, channel: 6, secure: false };

/**
 * Wi-Fi simulation for the Node host. It goes through the same status sequence as ESP32 Wi-Fi
 * (connecting → connected → got-ip) and lets tests script failures: `failNextConnects(n)`,
 * `dropConnection()`, `setNetworks()`.
 */
export class SimulatedWifi implements Wifi {
  #status: WifiStatus = 'disconnected';
  #ssid: string | undefined;
  #networks: SimulatedNetwork[];
  #failuresToInject = 0;
  #listeners = new Set<(status: WifiStatus) => void>();
  #timers: Timers;
  #stepDelayMs: number;
  /** Bumped by every connect/disconnect/drop so a superseded connect attempt stops. */
  #generation = 0;

  constructor(timers: Timers, options: SimulatedWifiOptions = {}) {
    this.#timers = timers;
    this.#stepDelayMs = options.stepDelayMs ?? 5;
    this.#networks = [...(options.networks ?? [DEFAULT_NETWORK])];
    const initial = options.initialSsid === undefined ? DEFAULT_NETWORK.ssid : options.initialSsid;
    if (initial !== null) {
      if (!this.#networks.some((n) => n.ssid === initial)) this.#networks.push({ ...DEFAULT_NETWORK, ssid: initial });
      this.#ssid = initial;
      this.#status = 'got-ip';
    }
  }

  get status(): WifiStatus {
    return this.#status;
  }

  /** The SSID joined (or being joined), if any. */
  get ssid(): string | undefined {
    return this.#ssid;
  }

  async connect(credentials: { ssid: string; password?: string }): Promise<void> {
    const generation = ++this.#generation;
    this.#ssid = credentials.ssid;
    this.#setStatus('connecting');
    await this.#delay();
    if (generation !== this.#generation) throw new WifiConnectError(credentials.ssid, 'scripted-failure');
    const network = this.#networks.find((n) => n.ssid === credentials.ssid);
    let failure: WifiConnectError | undefined;
    if (this.#failuresToInject > 0) {
      this.#failuresToInject--;
      failure = new WifiConnectError(credentials.ssid, 'scripted-failure');
    } else if (!network) {
      failure = new WifiConnectError(credentials.ssid, 'no-ap-found');
    } else if (network.secure && network.password !== undefined && network.password !== credentials.password) {
      failure = new WifiConnectError(credentials.ssid, 'auth-failed');
    }
    if (failure) {
      this.#ssid = undefined;
      this.#setStatus('disconnected');
      throw failure;
    }
    this.#setStatus('connected');
    await this.#delay();
    if (generation !== this.#generation) throw new WifiConnectError(credentials.ssid, 'scripted-failure');
    this.#setStatus('got-ip');
  }

  async disconnect(): Promise<void> {
    this.#generation++;
    this.#ssid = undefined;
    this.#setStatus('disconnected');
  }

  async scan(): Promise<AccessPoint[]> {
    await this.#delay();
    return this.#networks.map(({ ssid, rssi, channel, secure }) => ({ ssid, rssi, channel, secure }));
  }

  onChanged(listener: (status: WifiStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- scripting API for tests ----

  /** The next `count` connect attempts fail (after going through `connecting`). */
  failNextConnects(count: number): void {
    this.#failuresToInject = count;
  }

  /** The access point goes away: status drops to `disconnected` as on a real link loss. */
  dropConnection(): void {
    this.#generation++;
    this.#ssid = undefined;
    this.#setStatus('disconnected');
  }

  /** Replaces the networks in range (what scan returns and connect can join). */
  setNetworks(networks: SimulatedNetwork[]): void {
    this.#networks = [...networks];
  }

  #setStatus(status: WifiStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of [...this.#listeners]) {
      try {
        listener(status);
      } catch {
        // A listener's bug must not stop the others from hearing about the change.
      }
    }
  }

  #delay(): Promise<void> {
    return new Promise((resolve) => this.#timers.set(resolve, this.#stepDelayMs));
  }
}
