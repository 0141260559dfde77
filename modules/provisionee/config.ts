/** What a device tells its provisionee: where the cloud is, who the device is, and how to get a certificate. */
import type { KeyType } from '../keystore/types.js';
import type { MqttConnectOptions } from '../mqtt/types.js';
import type { BackoffOptions } from '../util/backoff.js';
import type { CsrSubject } from '../codec/csr.js';
import type { PayloadFormat } from './topics.js';

/** Device identity from the factory configuration (the guide's iotmiDev_DeviceInfo_t). */
export interface DeviceInfo {
  serialNumber: string;
  /** Universal Product Code. */
  upc: string;
  /** International Article Number, when the product has one. */
  ean?: string;
}

export interface ProvisioneeConfig {
  /** The managed-integrations MQTT endpoint (RegisterCustomEndpoint's address). */
  endpoint: { host: string; port: number; serverName?: string; alpn?: string[] };
  /** Fleet provisioning template of the provisioning profile. */
  templateName: string;
  device: DeviceInfo;
  /**
   * `csr`: the key pair is made inside the key store and only a CSR leaves the device
   * (CreateCertificateFromCsr). `create-keys`: the cloud makes the key (CreateKeysAndCertificate).
   * `auto` (default): `csr` when the key store can generate a key type the platform's TLS can sign with.
   */
  certificatePath?: 'csr' | 'create-keys' | 'auto';
  /** Key type for `csr`; default: the first of `tlsClientKeyTypes` the key store can generate. */
  keyType?: KeyType;
  /** Key types the platform's TLS can sign a client certificate with. Moddable: RSA-2048 only. Default both. */
  tlsClientKeyTypes?: readonly KeyType[];
  /** Payload format of the fleet provisioning API. Default `json`. */
  format?: PayloadFormat;
  /** Client id after provisioning: the thing name (default) or `<certificate common name>_<serial number>`. */
  clientIdScheme?: 'thing-name' | 'common-name-serial';
  /** Client id of the claim session. Default `<serial number>-claim`. */
  claimClientId?: string;
  /** Subject of the CSR; the common name defaults to the serial number. */
  csrSubject?: Partial<CsrSubject>;
  /** Template parameters besides SerialNumber, UPC and EAN. */
  extraParameters?: Record<string, string>;
  /** How long to wait for an accepted/rejected answer. Default 30,000 ms. */
  responseTimeoutMs?: number;
  /** Ownership token lifetime (AWS: one hour); a token older than this minus a margin starts over. */
  tokenLifetimeMs?: number;
  /** Retry policy for failures retrying can help (network, throttling, timeouts). Default: forever, 1 s .. 60 s. */
  backoff?: BackoffOptions;
  /** Extra MQTT connect options for both sessions (keep-alive, timeouts, reconnect policy). */
  connect?: Partial<Omit<MqttConnectOptions, 'host' | 'port' | 'clientId' | 'tls'>>;
}
