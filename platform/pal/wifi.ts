/** Wi-Fi as ECMA-419's `embedded:network/interface/wifi` sees it; the application owns provisioning. */
export type WifiStatus = 'disconnected' | 'connecting' | 'connected' | 'got-ip';

export interface AccessPoint {
  ssid: string;
  rssi: number;
  channel: number;
  secure: boolean;
}

export interface Wifi {
  readonly status: WifiStatus;
  connect(credentials: { ssid: string; password?: string }): Promise<void>;
  disconnect(): Promise<void>;
  scan(): Promise<AccessPoint[]>;
  /** Subscribes to status changes; returns a function that unsubscribes. */
  onChanged(listener: (status: WifiStatus) => void): () => void;
}
