// Minimal declarations of the ECMA-419 network modules of the Moddable SDK this platform uses,
// written from the Moddable documentation and ECMA-419. Only what platform/moddable calls is declared.

declare module 'embedded:io/socket/tcp' {
  export interface TCPOptions {
    /** A dotted IPv4 address: the lwIP socket ignores `host`, so resolve names first. */
    address?: string;
    host?: string;
    port: number;
    nodelay?: boolean;
    onReadable?: (this: TCP, count: number) => void;
    onWritable?: (this: TCP, count: number) => void;
    onError?: (this: TCP) => void;
    format?: 'buffer' | 'number';
  }
  export default class TCP {
    constructor(options: TCPOptions);
    read(byteLength?: number): ArrayBuffer | undefined;
    write(buffer: ArrayBuffer | ArrayBufferView): number | void;
    close(): void;
    format: 'buffer' | 'number';
  }
}

declare module 'embedded:io/socket/tcp/tls' {
  import type TCP from 'embedded:io/socket/tcp';
  import type { TCPOptions } from 'embedded:io/socket/tcp';
  /** Options spread into the Moddable SSL session (TLS 1.2; client auth signs with RSA only). */
  export interface SecureOptions {
    /** The trusted CA certificate, DER (ssl_cert.js registers exactly one; its validity is checked against Date.now()). */
    certificate?: ArrayBuffer;
    clientCertificates?: ArrayBuffer[];
    /** PKCS#8 DER. */
    clientKey?: ArrayBuffer;
    applicationLayerProtocolNegotiation?: string | string[];
    protocolVersion?: number;
  }
  export interface TLSOptions extends TCPOptions {
    /** Server name for SNI (the TCP connection uses `address`). */
    host: string;
    TCP: { io: typeof TCP };
    secure: SecureOptions;
  }
  export default class TLSSocket {
    constructor(options: TLSOptions);
    read(byteLength?: number): ArrayBuffer | undefined;
    write(buffer: ArrayBuffer | ArrayBufferView): number | void;
    close(): void;
    format: 'buffer' | 'number';
  }
}

declare module 'embedded:io/socket/udp' {
  export default class UDP {
    constructor(options: Record<string, unknown>);
    close(): void;
  }
}

declare module 'embedded:network/dns/resolver/udp' {
  import type UDP from 'embedded:io/socket/udp';
  export interface ResolveRequest {
    host: string;
    onResolved(host: string, address: string): void;
    onError(host: string): void;
  }
  export default class Resolver {
    constructor(options: { servers: string[]; socket: { io: typeof UDP } });
    resolve(request: ResolveRequest): void;
    close(): void;
  }
}

declare module 'embedded:network/http/client' {
  export interface RequestOptions {
    method?: string;
    path?: string;
    headers?: Map<string, string>;
    onHeaders?: (this: HTTPRequest, status: number, headers: Map<string, string>) => void;
    onReadable?: (this: HTTPRequest, count: number) => void;
    onDone?: (this: HTTPRequest, error: Error | null | undefined) => void;
  }
  export interface HTTPRequest {
    read(byteLength?: number): ArrayBuffer | undefined;
    write(value: ArrayBuffer | undefined): void;
  }
  export default class HTTPClient {
    constructor(options: { host: string; port?: number; dns?: unknown; socket: unknown; onError?: (error?: unknown) => void });
    request(options: RequestOptions): HTTPRequest;
    close(): void;
  }
}

declare module 'embedded:network/interface/wifi' {
  export interface ScanResult {
    SSID: string;
    RSSI: number;
    channel: number;
    BSSID?: string;
    /** "none", "wep", "wpa_psk", "wpa2_psk", "wpa_wpa2_psk", "wpa2_enterprise", "wpa3_psk", "wpa2_wpa3_psk" or "unknown" (wifi-esp32.c). */
    security?: string;
  }
  export default class WiFi {
    constructor(options: { onChanged?: (property?: string) => void });
    /** 200 disconnected, 300 connecting, 400 connected (associated), 500 has an IP address. */
    readonly connection: number;
    readonly address: string | undefined;
    connect(options: { SSID: string; password?: string }): void;
    disconnect(): void;
    scan(options: { onFound?: (result: ScanResult) => void; onComplete?: () => void }): void;
    close(): void;
  }
}
