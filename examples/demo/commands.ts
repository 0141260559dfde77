/**
 * The commands the demo sends, as SendManagedThingCommand bodies (device-protocol.md 4.1), and the
 * reading of the device's responses (4.2).
 */
export interface Action {
  name: string;
  parameters?: Record<string, unknown>;
}

/** A command body for one capability on one endpoint. */
export function commandBody(endpointId: string, capabilityId: string, actions: Action[]): Record<string, unknown> {
  return { Endpoints: [{ endpointId, capabilities: [{ id: capabilityId, name: capabilityId.split('.')[1]?.split('@')[0], version: '1.0', actions }] }] };
}

export interface ActionResult {
  name: string;
  responseCode: number;
  errors?: Array<{ code: string; message: string }>;
}

export interface CapabilityResult {
  id: string;
  actions: ActionResult[];
  properties: Array<{ name: string; value: unknown }>;
}

/** The capability results of a response message, flattened over endpoints. */
export function capabilityResults(response: unknown): CapabilityResult[] {
  const payload = (response as { payload?: { endpoints?: Array<{ capabilities?: CapabilityResult[] }> } })?.payload;
  return (payload?.endpoints ?? []).flatMap((e) => (e.capabilities ?? []).map((c) => ({ ...c, actions: c.actions ?? [], properties: c.properties ?? [] })));
}

export function responseCodes(response: unknown): number[] {
  return capabilityResults(response).flatMap((c) => c.actions.map((a) => a.responseCode));
}

export function propertyValue(response: unknown, name: string): unknown {
  for (const c of capabilityResults(response)) {
    const p = c.properties.find((q) => q.name === name);
    if (p) return p.value;
  }
  return undefined;
}

/** `npx mi-cloud send-command …` lines a user can paste, for the air purifier. */
export function pasteableCommands(thingId: string, dataDir: string): string[] {
  const line = (body: Record<string, unknown>) => `npx mi-cloud send-command ${thingId} '${JSON.stringify(body)}' --wait 5000 --data ${dataDir}`;
  return [
    line(commandBody('1', 'matter.OnOff@6', [{ name: 'Toggle' }])),
    line(commandBody('1', 'matter.OnOff@6', [{ name: 'ReadState', parameters: { propertiesToRead: ['*'] } }])),
    line(commandBody('1', 'matter.FanControl@5', [{ name: 'UpdateState', parameters: { PercentSetting: 80 } }])),
    line(commandBody('2', 'matter.Pm25ConcentrationMeasurement@5', [{ name: 'ReadState', parameters: { propertiesToRead: ['MeasuredValue'] } }])),
    line(commandBody('1', 'matter.HepaFilterMonitoring@1', [{ name: 'ResetCondition' }])),
  ];
}
