import { randomBytes } from 'node:crypto';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/** ARNs shaped like the service's (`arn:aws:iotmanagedintegrations:<region>:<account>:<type>/<id>`). */
export const arnOf = (type: string, id: string): string =>
  `arn:aws:iotmanagedintegrations:${REGION}:${ACCOUNT}:${type}/${id}`;

/** Ids in the shape managed integrations uses: 32 lowercase hex characters. */
export const newId = (): string => randomBytes(16).toString('hex');
