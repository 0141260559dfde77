/**
 * Random and mutated command payloads straight into the handler (no broker): every one gets a
 * well-formed response (device-protocol.md 4.2) or a logged, counted drop, and nothing throws out.
 * rounds(10_000, 1_000): the full count on CI.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DataModelHandler, registerCluster } from '../../modules/datamodel/index.js';
import { rounds } from '../helpers/rounds.js';
import { testPlatform, text } from './support.js';
import { OnOff, LevelControl, CameraAvStreamManagement, Labels, FanControl } from './fixtures.js';

const CODE = /^[A-Za-z0-9_]{1,64}$/;
const TIME = /^\d+\.\d{3}$/;

const codesSeen = new Set<number>();

function checkErrors(node: any, where: string): void {
  if (node.responseCode !== undefined) {
    codesSeen.add(node.responseCode);
    expect(Number.isInteger(node.responseCode) && node.responseCode >= 100 && node.responseCode <= 599, `${where} responseCode`).toBe(true);
  }
  if (node.errors !== undefined) {
    expect(Array.isArray(node.errors) && node.errors.length > 0, `${where} errors`).toBe(true);
    for (const e of node.errors) {
      expect(e.code, `${where} error code`).toMatch(CODE);
      expect(typeof e.message).toBe('string');
    }
    expect(node.responseCode >= 400, `${where}: errors only on failures`).toBe(true);
  }
}

/** Checks the response shape and that it answers the request's actions one for one. */
function checkResponse(response: any, request: any): void {
  expect(Object.keys(response)).toEqual(['payload']);
  const p = response.payload;
  expect(p.commandReceivedAt).toMatch(TIME);
  expect(p.commandExecutedAt).toMatch(TIME);
  expect(Number(p.commandExecutedAt) >= Number(p.commandReceivedAt)).toBe(true);
  const root = request && typeof request === 'object' && !Array.isArray(request) && request.payload && typeof request.payload === 'object' && !Array.isArray(request.payload) ? request.payload : request;
  if (root && typeof root === 'object' && typeof root.traceId === 'string') expect(p.traceId).toBe(root.traceId.slice(0, 128));
  if (!Array.isArray(p.endpoints)) {
    expect(p.responseCode).toBeGreaterThanOrEqual(400);
    checkErrors(p, 'request');
    return;
  }
  const reqEndpoints = root.endpoints ?? root.Endpoints;
  expect(p.endpoints.length).toBe(reqEndpoints.length);
  p.endpoints.forEach((ep: any, i: number) => {
    checkErrors(ep, `endpoint ${i}`);
    const reqEp = reqEndpoints[i];
    if (Array.isArray(ep.capabilities)) {
      expect(ep.capabilities.length).toBe(reqEp.capabilities.length);
      ep.capabilities.forEach((cap: any, j: number) => {
        checkErrors(cap, `capability ${j}`);
        if (Array.isArray(cap.actions)) {
          expect(cap.actions.length).toBe(reqEp.capabilities[j].actions.length);
          for (const a of cap.actions) {
            expect(Number.isInteger(a.responseCode)).toBe(true);
            checkErrors(a, `action ${a.name}`);
          }
        } else expect(cap.responseCode).toBeGreaterThanOrEqual(400);
      });
    } else if (Array.isArray(ep.clusters)) {
      for (const c of ep.clusters) {
        checkErrors(c, 'cluster');
        for (const cmd of c.commands ?? []) for (const k of Object.keys(cmd)) if (typeof cmd[k] === 'object') checkErrors(cmd[k], `command ${k}`);
      }
    } else expect(ep.responseCode).toBeGreaterThanOrEqual(400);
  });
}

const capabilityIds = ['matter.OnOff@1.4', 'aws.OnOff', 'matter.LevelControl@1.4', 'matter.FanControl', 'custom.Labels@1.0', 'matter.CameraAvStreamManagement@1.4', 'matter.Nope@1', ''];
const names = ['ReadState', 'UpdateState', 'On', 'Off', 'Toggle', 'OnWithTimedOff', 'MoveToLevel', 'Step', 'Describe', 'VideoStreamAllocate', 'Explode', ''];
const props = ['CurrentLevel', 'OnOff', 'OnTime', 'OffWaitTime', 'StartUpOnOff', 'OnLevel', 'DefaultMoveRate', 'Options', 'Label', 'Blob', 'Tags', 'Point', 'Ratio', 'FanMode', 'PercentSetting', '*', 'Nope'];
const fields = ['OnOffControl', 'OnTime', 'OffWaitTime', 'Level', 'TransitionTime', 'OptionsMask', 'OptionsOverride', 'Direction', 'Wrap', 'Text', 'StreamUsage', 'MinFrameRate', 'MaxFrameRate', '__proto__', 'constructor'];

const scalar = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(65535, 65536, 4294967296, -0, 1e39, Number.MAX_SAFE_INTEGER, 'AQID', '😀😀😀', 'ééééé'),
);
const value = fc.oneof({ depthSize: 'small' }, scalar, fc.array(scalar, { maxLength: 5 }), fc.dictionary(fc.constantFrom(...fields, 'X', 'Y'), scalar, { maxKeys: 3 }));
const parameters = fc.oneof(
  fc.record({ propertiesToRead: fc.oneof(fc.array(fc.constantFrom(...props), { maxLength: 4 }), value) }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom(...props, ...fields), value, { maxKeys: 4 }),
  value,
);
/** Well-formed actions, so valid requests reach the callbacks (and their failures) often enough. */
const goodAction = fc.constantFrom(
  { name: 'ReadState', parameters: { propertiesToRead: ['*'] } },
  { name: 'ReadState', parameters: { propertiesToRead: ['OnOff', 'CurrentLevel'] } },
  { name: 'UpdateState', parameters: { OnTime: 5 } },
  { name: 'UpdateState', parameters: { OnLevel: 5, DefaultMoveRate: 30 } },
  { name: 'OnWithTimedOff', parameters: { OnOffControl: 1, OnTime: 10, OffWaitTime: 0 } },
  { name: 'VideoStreamAllocate', parameters: { StreamUsage: 1, MinFrameRate: 1, MaxFrameRate: 2 } },
  { name: 'Toggle' },
  { name: 'OffWithEffect', parameters: { EffectIdentifier: 0, EffectVariant: 0 } },
);
const action = fc.oneof(
  fc.record({ name: fc.constantFrom(...names), parameters }, { requiredKeys: ['name'] }),
  goodAction,
  value,
);
const capability = fc.oneof(
  fc.record({ id: fc.constantFrom(...capabilityIds), name: fc.string({ maxLength: 6 }), version: fc.constantFrom('1.0', '1'), actions: fc.oneof(fc.array(action, { maxLength: 5 }), value) }, { requiredKeys: ['id'] }),
  value,
);
const hexIds = fc.constantFrom('0x0006', '0x0008', '0x0202', '0x00', '0x01', '0x02', '0x42', '0xff01', '0xff02', '0x4001', '0x0011', 'zz', '7');
const matterCluster = fc.record(
  {
    id: hexIds,
    commands: fc.oneof(fc.dictionary(hexIds, fc.oneof(fc.dictionary(hexIds, value, { maxKeys: 4 }), value), { maxKeys: 3 }), fc.array(fc.dictionary(hexIds, value, { maxKeys: 2 }), { maxLength: 3 })),
    attributes: fc.oneof(fc.dictionary(hexIds, value, { maxKeys: 3 }), value),
  },
  { requiredKeys: ['id'] },
);
const endpoint = fc.oneof(
  fc.record({ id: fc.constantFrom('1', '2', '9', ''), capabilities: fc.oneof(fc.array(capability, { maxLength: 4 }), value) }, { requiredKeys: [] }),
  fc.record({ endpointId: fc.constantFrom('1', '2'), capabilities: fc.array(capability, { maxLength: 3 }) }),
  fc.record({ id: fc.constantFrom('1', '2'), clusters: fc.array(matterCluster, { maxLength: 3 }) }),
  value,
);
/** Requests shaped right throughout, with a mix of good and random actions. */
const goodRequest = fc.record({
  payload: fc.record({
    traceId: fc.string({ maxLength: 20 }),
    endpoints: fc.array(
      fc.record({ id: fc.constant('1'), capabilities: fc.array(fc.record({ id: fc.constantFrom(...capabilityIds.slice(0, 6)), actions: fc.array(action, { maxLength: 4 }) }), { maxLength: 3 }) }),
      { minLength: 1, maxLength: 2 },
    ),
  }),
});
const request = fc.oneof(
  goodRequest,
  fc.record({ payload: fc.record({ traceId: fc.oneof(fc.string({ maxLength: 20 }), value), managedThingId: fc.string({ maxLength: 8 }), endpoints: fc.oneof(fc.array(endpoint, { maxLength: 3 }), value) }, { requiredKeys: [] }) }),
  fc.record({ Endpoints: fc.array(endpoint, { maxLength: 3 }) }),
  value,
);

/** Byte-level mutations of a valid-looking request: truncation, bit flips, insertions. */
const mutated = fc.tuple(request, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 3 })).map(([req, edits]) => {
  let bytes = Array.from(text.encode(JSON.stringify(req) ?? 'null'));
  for (const [pos, byte, kind] of edits) {
    const at = bytes.length ? pos % bytes.length : 0;
    if (kind === 'flip') bytes[at] = byte;
    else if (kind === 'cut') bytes = bytes.slice(0, at);
    else bytes.splice(at, 0, byte);
  }
  return new Uint8Array(bytes);
});

function makeHandler() {
  const platform = testPlatform();
  const handler = new DataModelHandler(platform, { callbackTimeoutMs: 20 });
  const ep1 = handler.addEndpoint('1', 'Light', ['Light']);
  let on = false;
  registerCluster(ep1, OnOff, {
    getOnOff: () => on,
    getOnTime: () => 3,
    setOnTime: () => undefined,
    on: () => void (on = true),
    off: async () => void (on = false),
    toggle: () => void (on = !on),
    onWithTimedOff: () => {
      throw new Error('boom');
    },
  });
  registerCluster(ep1, LevelControl, { getCurrentLevel: () => 300 /* a bad getter: answered 500 */, setOnLevel: async () => undefined, moveToLevel: () => undefined });
  registerCluster(ep1, Labels, { getLabel: () => 'x', setLabel: () => undefined, setTags: () => undefined, setPoint: () => undefined, describe: (r: { text: string }) => ({ length: r.text.length, echo: r.text }) });
  registerCluster(ep1, CameraAvStreamManagement, { videoStreamAllocate: () => ({ videoStreamID: 70000 }) /* bad response: 500 */ });
  registerCluster(handler.addEndpoint('2', 'Fan', ['Fan']), FanControl, { getFanMode: () => 1, setFanMode: () => undefined, step: () => undefined });
  return { handler, platform };
}

describe('command fuzzing', () => {
  it(`answers every valid-looking or broken payload well-formed, or drops it logged (${rounds(10_000, 1_000)} runs)`, async () => {
    const { handler, platform } = makeHandler();
    let answered = 0;
    let dropped = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(request.map((r) => text.encode(JSON.stringify(r) ?? 'null')), mutated), async (bytes) => {
        const droppedBefore = handler.counters.droppedMalformed;
        const logBefore = platform.log.lines.length;
        const response = await handler.handleMessage(bytes);
        if (response === undefined) {
          dropped++;
          expect(handler.counters.droppedMalformed).toBe(droppedBefore + 1);
          expect(platform.log.lines.length).toBeGreaterThan(logBefore);
          return;
        }
        answered++;
        let req: unknown;
        try {
          req = JSON.parse(text.decode(bytes));
        } catch {
          throw new Error('a response to a non-JSON message');
        }
        checkResponse(JSON.parse(text.decode(response)), req);
      }),
      { numRuns: rounds(10_000, 1_000), seed: 20260527 },
    );
    expect(answered).toBeGreaterThan(0);
    // The generator reaches every status the contract names, not just the easy rejections.
    for (const code of [200, 400, 404, 405, 500, 501]) expect(codesSeen.has(code), `status ${code} seen`).toBe(true);
    expect(dropped).toBeGreaterThan(0);
    await handler.close();
  });
});
