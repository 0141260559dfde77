import { describe, expect, it } from 'vitest';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import { PayloadCodec } from '../../modules/provisionee/payloads.js';
import { MalformedResponseError, ProvisioningRejectedError } from '../../modules/provisionee/errors.js';
import { createCertificateFromCsrTopics, createKeysAndCertificateTopics, registerThingTopics } from '../../modules/provisionee/topics.js';
import { ProvisioningStateStore, STATE_KEY, initialRecord } from '../../modules/provisionee/state.js';
import { encodeCbor, decodeCbor } from '../../modules/codec/cbor.js';

const text = { encode: (s: string) => new TextEncoder().encode(s), decode: (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b) };

describe('fleet provisioning topics', () => {
  it('match the AWS API names for both formats', () => {
    expect(createKeysAndCertificateTopics('json')).toEqual({
      request: '$aws/certificates/create/json',
      accepted: '$aws/certificates/create/json/accepted',
      rejected: '$aws/certificates/create/json/rejected',
    });
    expect(createCertificateFromCsrTopics('cbor').accepted).toBe('$aws/certificates/create-from-csr/cbor/accepted');
    expect(registerThingTopics('MyTemplate', 'cbor').rejected).toBe('$aws/provisioning-templates/MyTemplate/provision/cbor/rejected');
    expect(() => registerThingTopics('x'.repeat(37), 'json')).toThrow('1..36');
    expect(() => registerThingTopics('a/b', 'json')).toThrow('"a/b"');
  });
});

describe('payload codec', () => {
  for (const format of ['json', 'cbor'] as const) {
    const codec = new PayloadCodec(format, text);
    const encode = (v: unknown) => (format === 'json' ? text.encode(JSON.stringify(v)) : cborEncode(v));
    const decode = (b: Uint8Array) => (format === 'json' ? JSON.parse(text.decode(b)) : cborDecode(b));

    it(`${format}: requests carry the documented keys`, () => {
      expect(decode(codec.createFromCsrRequest('PEM'))).toEqual({ certificateSigningRequest: 'PEM' });
      expect(decode(codec.createKeysRequest())).toEqual({});
      expect(decode(codec.registerThingRequest({ certificateOwnershipToken: 't', parameters: { SerialNumber: '1', UPC: '2' } }))).toEqual({
        certificateOwnershipToken: 't',
        parameters: { SerialNumber: '1', UPC: '2' },
      });
    });

    it(`${format}: accepted answers are checked field by field`, () => {
      const ok = { certificateId: 'id', certificatePem: 'pem', certificateOwnershipToken: 'tok', privateKey: 'key' };
      expect(codec.certificateAccepted('CreateKeysAndCertificate', encode(ok))).toEqual(ok);
      expect(() => codec.certificateAccepted('CreateKeysAndCertificate', encode({ ...ok, privateKey: undefined }))).toThrow(
        'expected "privateKey" to be a non-empty string, got nothing',
      );
      expect(() => codec.certificateAccepted('CreateCertificateFromCsr', encode({ certificateId: 1 }))).toThrow(MalformedResponseError);
      expect(codec.registerThingAccepted(encode({ thingName: 'thing-1', deviceConfiguration: { a: '1', n: 2 } }))).toEqual({
        thingName: 'thing-1',
        deviceConfiguration: { a: '1', n: '2' },
      });
      expect(() => codec.registerThingAccepted(encode([1]))).toThrow('got array');
    });

    it(`${format}: rejections become typed errors with the cloud's code and message`, () => {
      const e = codec.rejected('RegisterThing', encode({ statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: 'expired' }));
      expect(e).toBeInstanceOf(ProvisioningRejectedError);
      expect(e.message).toBe('RegisterThing rejected: InvalidCertificateOwnershipToken (400): expired');
      expect(e.remedy).toBe('new-certificate');
      expect(codec.rejected('RegisterThing', encode({ statusCode: 429, errorCode: 'ThrottlingException', errorMessage: 'slow' })).remedy).toBe('retry');
      expect(codec.rejected('RegisterThing', encode({ statusCode: 403, errorCode: 'AccessDenied', errorMessage: 'bad SN' })).retryable).toBe(false);
      expect(codec.rejected('CreateCertificateFromCsr', encode({ statusCode: 500, errorCode: 'InternalFailure', errorMessage: '' })).remedy).toBe('retry');
    });
  }

  it('rejects bytes that are not the declared format', () => {
    expect(() => new PayloadCodec('json', text).decode('RegisterThing', Uint8Array.of(0xa1, 0x61))).toThrow('not valid JSON');
    expect(() => new PayloadCodec('cbor', text).decode('RegisterThing', Uint8Array.of(0xa2, 0x61))).toThrow('not valid CBOR');
  });

  it('the cbor wrapper emits plain RFC 8949 maps (no record extension) and copies its output', () => {
    const a = encodeCbor({ x: 1 });
    const b = encodeCbor({ y: 2 });
    expect(Buffer.from(a).toString('hex')).toBe('a1617801');
    expect(Buffer.from(b).toString('hex')).toBe('a1617902');
    expect(decodeCbor(encodeCbor({ k: 'v', n: [1, 2] }))).toEqual({ k: 'v', n: [1, 2] });
  });
});

describe('provisioning state store', () => {
  function memoryStorage() {
    const map = new Map<string, Uint8Array>();
    return {
      map,
      get: async (k: string) => map.get(k),
      set: async (k: string, v: Uint8Array) => void map.set(k, v),
      delete: async (k: string) => void map.delete(k),
      keys: async () => [...map.keys()],
    };
  }
  it('round-trips records under a key that fits ESP32 NVS', async () => {
    const storage = memoryStorage();
    const store = new ProvisioningStateStore(storage, text);
    expect(await store.load()).toEqual(initialRecord());
    await store.save({ version: 1, step: 'register-requested', attempt: 2, ownershipToken: 'x'.repeat(1500), path: 'csr' });
    expect((await store.load()).step).toBe('register-requested');
    expect(STATE_KEY.length).toBeLessThanOrEqual(15);
  });
  it('refuses oversize records and corrupt ones', async () => {
    const storage = memoryStorage();
    const store = new ProvisioningStateStore(storage, text);
    await expect(store.save({ version: 1, step: 'idle', attempt: 0, ownershipToken: 'x'.repeat(4000) })).rejects.toThrow('exceeds 4000');
    storage.map.set(STATE_KEY, text.encode('{"version":9,"step":"idle"}'));
    await expect(store.load()).rejects.toThrow('unknown version or step');
    storage.map.set(STATE_KEY, Uint8Array.of(0x7b));
    await expect(store.load()).rejects.toThrow('not valid JSON');
  });
});
