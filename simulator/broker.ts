import type { Identity } from './policy.js';

/** A message a device published on a topic the cloud serves. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** Who published it: known with the embedded broker; null with mosquitto (its ACL already checked). */
  identity: Identity | null;
  clientId: string | null;
  /**
   * Answer on an accepted/rejected topic. The embedded broker delivers the answer to the requesting
   * connection only, as AWS does; with mosquitto it is an ordinary publish.
   */
  reply(topic: string, payload: Buffer): Promise<void>;
}

/** Looks up who a TLS client certificate (by its SHA-256 id) belongs to; null when it may not connect. */
export type IdentityResolver = (certificateId: string) => Identity | null;

/** The broker side of the cloud, implemented by the embedded aedes broker and by mosquitto. */
export interface CloudBroker {
  readonly kind: 'embedded' | 'mosquitto';
  readonly port: number;
  onMessage: (message: InboundMessage) => void;
  onClientConnected: (clientId: string, identity: Identity) => void;
  onClientDisconnected: (clientId: string, identity: Identity | null) => void;
  publish(topic: string, payload: Buffer | string, qos?: 0 | 1): Promise<void>;
  /** Certificates or bindings changed: re-read who may connect and which topics each identity may use. */
  refreshPolicy(): Promise<void>;
  /** Ends every session that authenticated with this certificate (after revocation or deactivation). */
  disconnectCertificate(certificateId: string, clientIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** AWS IoT Core's payload limit: larger PUBLISHes are refused. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** Topic prefixes the cloud consumes (the rest of the traffic is device-to-device and not ours). */
export const CLOUD_TOPIC_FILTERS = [
  '$aws/certificates/create/+',
  '$aws/certificates/create-from-csr/+',
  '$aws/provisioning-templates/+/provision/+',
  '$aws/things/+/jobs/#',
  'north/#',
] as const;
