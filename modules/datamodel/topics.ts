/**
 * Every managed-integrations data topic, in one place (device-protocol.md 4). The guide does not
 * publish these names, so each is a template a deployment may override; `{thingName}` is replaced
 * with the device's thing name.
 */
export interface DataTopicTemplates {
  /** cloud → device: command requests. */
  control: string;
  /** cloud → device: setup requests (e.g. "send a fresh capability report"). */
  setup: string;
  /** device → cloud: command responses. */
  controlResponse: string;
  /** device → cloud: unsolicited property reports. */
  state: string;
  /** device → cloud: data-model events. */
  events: string;
  /** device → cloud: the capability report. */
  capabilities: string;
}

export const DEFAULT_DATA_TOPICS: Readonly<DataTopicTemplates> = Object.freeze({
  control: 'south/{thingName}/control',
  setup: 'south/{thingName}/setup',
  controlResponse: 'north/{thingName}/control/response',
  state: 'north/{thingName}/state',
  events: 'north/{thingName}/events',
  capabilities: 'north/{thingName}/setup/capabilities',
});

export type DataTopics = Readonly<DataTopicTemplates>;

/** Fills the templates (defaults for any not given) for `thingName`. */
export function resolveDataTopics(thingName: string, templates: Partial<DataTopicTemplates> = {}): DataTopics {
  if (!/^[A-Za-z0-9_:.-]{1,128}$/.test(thingName)) {
    throw new RangeError(`expected a thing name of 1..128 [A-Za-z0-9_:.-], got ${JSON.stringify(thingName)}`);
  }
  const out = {} as DataTopicTemplates;
  for (const key of Object.keys(DEFAULT_DATA_TOPICS) as (keyof DataTopicTemplates)[]) {
    out[key] = (templates[key] ?? DEFAULT_DATA_TOPICS[key]).split('{thingName}').join(thingName);
  }
  return Object.freeze(out);
}
