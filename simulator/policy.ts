/**
 * The per-identity MQTT policy, the same for both brokers: aedes evaluates it in its authorize hooks,
 * and the mosquitto ACL file is generated from it.
 *
 * - claim certificate of profile P: only the fleet-provisioning topics, RegisterThing only for template P;
 * - device certificate bound to thing T: `$aws/things/T/#` both ways, subscribe `south/T/#`, publish `north/T/#`;
 * - the cloud's own service identity (mosquitto mode only): everything.
 */

export type Identity =
  | { kind: 'claim'; certificateId: string; profileName: string }
  | { kind: 'device'; certificateId: string; thingName: string }
  | { kind: 'service' };

export interface TopicRule { access: 'read' | 'write' | 'readwrite'; filter: string }

const FORMATS = ['json', 'cbor'] as const;

export function rulesFor(identity: Identity): TopicRule[] {
  switch (identity.kind) {
    case 'service':
      return [{ access: 'readwrite', filter: '#' }, { access: 'readwrite', filter: '$aws/#' }];
    case 'device': {
      const t = identity.thingName;
      return [
        { access: 'readwrite', filter: `$aws/things/${t}/#` },
        { access: 'read', filter: `south/${t}/#` },
        { access: 'write', filter: `north/${t}/#` },
      ];
    }
    case 'claim': {
      const rules: TopicRule[] = [];
      for (const fmt of FORMATS) {
        for (const request of ['$aws/certificates/create', '$aws/certificates/create-from-csr',
          `$aws/provisioning-templates/${identity.profileName}/provision`]) {
          rules.push({ access: 'write', filter: `${request}/${fmt}` });
          rules.push({ access: 'read', filter: `${request}/${fmt}/accepted` });
          rules.push({ access: 'read', filter: `${request}/${fmt}/rejected` });
        }
      }
      return rules;
    }
  }
}

/** MQTT topic-filter matching (a `$`-topic is not matched by a leading wildcard, as the spec says). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when every topic that `requested` can match is also matched by `allowed`. */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  if (requested.startsWith('$') && (a[0] === '#' || a[0] === '+')) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (r[i] !== a[i]) return false;
  }
  return a.length === r.length;
}

export function canPublish(identity: Identity, topic: string): boolean {
  return rulesFor(identity).some((rule) => rule.access !== 'read' && topicMatches(rule.filter, topic));
}

export function canSubscribe(identity: Identity, filter: string): boolean {
  return rulesFor(identity).some((rule) => rule.access !== 'write' && filterCovers(rule.filter, filter));
}

export function canReceive(identity: Identity, topic: string): boolean {
  return rulesFor(identity).some((rule) => rule.access !== 'write' && topicMatches(rule.filter, topic));
}
