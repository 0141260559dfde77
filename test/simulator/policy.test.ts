import { describe, expect, it } from 'vitest';
import { canPublish, canReceive, canSubscribe, filterCovers, rulesFor, topicMatches } from '../../simulator/policy.js';

const device = { kind: 'device', certificateId: 'c1', thingName: 'T1' } as const;
const claim = { kind: 'claim', certificateId: 'c2', profileName: 'P' } as const;

describe('topic matching', () => {
  it('matches filters as MQTT does, keeping $-topics away from leading wildcards', () => {
    expect(topicMatches('north/+/state', 'north/T1/state')).toBe(true);
    expect(topicMatches('north/#', 'north')).toBe(true);
    expect(topicMatches('north/#', 'north/T1/a/b')).toBe(true);
    expect(topicMatches('north/+', 'north/T1/state')).toBe(false);
    expect(topicMatches('#', '$aws/things/T1/jobs/get')).toBe(false);
    expect(topicMatches('+/things/T1/jobs/get', '$aws/things/T1/jobs/get')).toBe(false);
    expect(topicMatches('$aws/#', '$aws/things/T1/jobs/get')).toBe(true);
  });

  it('decides whether an allowed filter covers a requested one', () => {
    expect(filterCovers('south/T1/#', 'south/T1/control')).toBe(true);
    expect(filterCovers('south/T1/#', 'south/T1/+')).toBe(true);
    expect(filterCovers('south/T1/#', 'south/T1/#')).toBe(true);
    expect(filterCovers('south/T1/#', 'south/+/control')).toBe(false);
    expect(filterCovers('south/T1/#', 'south/#')).toBe(false);
    expect(filterCovers('south/T1/control', 'south/T1/+')).toBe(false);
    expect(filterCovers('#', '$aws/things/T1/jobs/notify')).toBe(false);
  });
});

describe('per-identity policy', () => {
  it('binds a device certificate to its own thing topics', () => {
    expect(canPublish(device, 'north/T1/state')).toBe(true);
    expect(canPublish(device, '$aws/things/T1/jobs/start-next')).toBe(true);
    expect(canPublish(device, 'north/T2/state')).toBe(false);
    expect(canPublish(device, 'south/T1/control')).toBe(false);
    expect(canPublish(device, '$aws/things/T2/jobs/get')).toBe(false);
    expect(canPublish(device, '$aws/certificates/create/json')).toBe(false);
    expect(canSubscribe(device, 'south/T1/#')).toBe(true);
    expect(canSubscribe(device, '$aws/things/T1/jobs/notify-next')).toBe(true);
    expect(canSubscribe(device, 'north/T1/state')).toBe(false);
    expect(canSubscribe(device, 'south/+/control')).toBe(false);
    expect(canReceive(device, 'south/T2/control')).toBe(false);
  });

  it('limits a claim certificate to fleet provisioning for its own template', () => {
    for (const fmt of ['json', 'cbor']) {
      expect(canPublish(claim, `$aws/certificates/create/${fmt}`)).toBe(true);
      expect(canPublish(claim, `$aws/certificates/create-from-csr/${fmt}`)).toBe(true);
      expect(canPublish(claim, `$aws/provisioning-templates/P/provision/${fmt}`)).toBe(true);
      expect(canSubscribe(claim, `$aws/provisioning-templates/P/provision/${fmt}/accepted`)).toBe(true);
      expect(canSubscribe(claim, `$aws/certificates/create/${fmt}/rejected`)).toBe(true);
    }
    expect(canPublish(claim, '$aws/provisioning-templates/Q/provision/json')).toBe(false);
    expect(canPublish(claim, '$aws/certificates/create/xml')).toBe(false);
    expect(canSubscribe(claim, '$aws/certificates/#')).toBe(false);
    expect(canPublish(claim, 'north/T1/state')).toBe(false);
    expect(rulesFor(claim)).toHaveLength(18);
  });
});
