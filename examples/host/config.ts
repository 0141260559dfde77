/** What `mi-device run` hands the device program (written as JSON next to the device's data). */
export interface HostConfig {
  example: string;
  /** The cloud's HTTP API (for the factory step: root CA and claim credentials). */
  cloud: string;
  serialNumber: string;
  upc: string;
  ean?: string;
  dataDir: string;
  /** Provisioning profile (template) name. */
  profile: string;
  /** Claim credentials to flash at the factory step (PEM files); otherwise a new profile's are fetched. */
  claimCertFile?: string;
  claimKeyFile?: string;
  /** The code-signing public key (PEM) OTA images must be signed with, flashed as `Code Sign Cert`. */
  codeSignKeyFile?: string;
  /** Firmware version of the factory program (images carry their own). */
  factoryVersion: string;
  /** Certificate path for fleet provisioning. */
  certificatePath: 'csr' | 'create-keys' | 'auto';
  format: 'json' | 'cbor';
  /** How often the simulated hardware changes, in ms. */
  stepMs?: number;
  /** How often the OTA component polls for jobs besides notify-next, in ms. */
  jobPollMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}
