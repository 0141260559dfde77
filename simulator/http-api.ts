import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudCore, CloudEvents } from './core.js';
import { CloudApiError, CommandTimeoutError, invalid } from './errors.js';
import { serveFirmware } from './firmware-files.js';
import type { CertificateStatus } from './registry.js';

type Handler = (params: string[], body: any, query: URLSearchParams) => Promise<unknown> | unknown;
interface Route { method: string; pattern: RegExp; handler: Handler; status?: number }

const MAX_BODY_BYTES = 1 << 20;

/** The HTTP JSON API (routes listed in simulator/README.md) plus `/firmware/…` and `/ca.pem`. */
export function createRequestHandler(core: CloudCore, firmwareDir: string, host = '127.0.0.1')
  : (request: IncomingMessage, response: ServerResponse) => void {
  const routes: Route[] = [];
  const route = (method: string, path: string, handler: Handler, status?: number) => {
    const pattern = new RegExp(`^${path.replace(/:[a-zA-Z]+/g, '([^/]+)')}$`);
    routes.push({ method, pattern, handler, ...(status ? { status } : {}) });
  };

  route('GET', '/health', () => ({ ok: true, broker: core.broker?.kind ?? null }));
  // GetCustomEndpoint: the MQTT endpoint devices connect to (devices and `mi-device` discover it here).
  route('GET', '/custom-endpoint', () => {
    if (!core.broker) throw new CloudApiError('ServiceUnavailableException', 503, 'the broker is not running');
    return { EndpointAddress: `${host}:${core.broker.port}` };
  });
  route('POST', '/provisioning-profiles', (_p, body) => core.createProvisioningProfile(body), 201);
  route('GET', '/provisioning-profiles', () => core.listProvisioningProfiles());
  route('GET', '/provisioning-profiles/:id', ([id]) => core.getProvisioningProfile(id!));
  route('DELETE', '/provisioning-profiles/:id', ([id]) => core.deleteProvisioningProfile(id!), 204);

  route('POST', '/managed-things', (_p, body) => core.createManagedThing(body), 201);
  route('GET', '/managed-things', (_p, _b, q) => core.listManagedThings({
    ...(q.get('owner') ? { OwnerFilter: q.get('owner')! } : {}),
    ...(q.get('provisioningStatus') ? { ProvisioningStatusFilter: q.get('provisioningStatus')! } : {}),
  }));
  route('GET', '/managed-things/:id', ([id]) => core.getManagedThing(id!));
  route('PATCH', '/managed-things/:id', ([id], body) => core.updateManagedThing(id!, body), 204);
  route('PUT', '/managed-things/:id', ([id], body) => core.updateManagedThing(id!, body), 204);
  route('DELETE', '/managed-things/:id', ([id]) => core.deleteManagedThing(id!), 204);
  route('GET', '/managed-things/:id/capabilities', ([id]) => core.getManagedThingCapabilities(id!));
  route('POST', '/managed-things/:id/capabilities/request', async ([id]) => {
    core.getManagedThing(id!);
    await core.dataPlane.requestCapabilityReport(id!);
  }, 202);
  route('GET', '/managed-things/:id/state', ([id]) => core.getManagedThingState(id!));
  route('GET', '/managed-things/:id/events', ([id]) => core.listManagedThingEvents(id!, 'event'));
  route('GET', '/managed-things/:id/state-reports', ([id]) => core.listManagedThingEvents(id!, 'state'));
  route('POST', '/managed-things/:id/commands', ([id], body, q) => {
    const wait = q.get('waitMs');
    if (wait !== null && !/^\d+$/.test(wait)) throw invalid(`waitMs must be a whole number of ms, got ${wait}`);
    return core.sendManagedThingCommand(id!, body, wait === null ? {} : { waitMs: Number(wait) });
  });
  route('GET', '/commands/:traceId', ([traceId]) => core.getCommand(traceId!));

  route('GET', '/certificates', () => core.listCertificates());
  route('GET', '/certificates/:id', ([id]) => core.describeCertificate(id!));
  route('PUT', '/certificates/:id/status', ([id], body) =>
    core.updateCertificateStatus(id!, (body?.Status ?? body?.newStatus ?? body?.status) as CertificateStatus), 204);

  route('POST', '/jobs', (_p, body) => core.jobs.createJob(body), 201);
  route('GET', '/jobs/:id', ([id]) => core.jobs.describeJob(id!));
  route('POST', '/jobs/:id/cancel', ([id]) => core.jobs.cancelJob(id!), 204);

  route('POST', '/ota-tasks', (_p, body) => core.createOtaTask(body), 201);
  route('GET', '/ota-tasks', () => core.ota.list());
  route('GET', '/ota-tasks/:id', ([id]) => core.ota.get(id!));
  route('DELETE', '/ota-tasks/:id', ([id]) => core.ota.cancel(id!), 204);
  route('GET', '/ota-tasks/:id/executions', ([id]) => core.ota.listExecutions(id!));

  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if ((request.method === 'GET' || request.method === 'HEAD') && url.pathname.startsWith('/firmware/')) {
      serveFirmware(firmwareDir, url.pathname.slice('/firmware/'.length), request, response);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/ca.pem') {
      response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(core.ca.caPem);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/events') {
      streamEvents(core, url.searchParams.get('types'), response);
      return;
    }
    void (async () => {
      let status = 200;
      let result: unknown;
      try {
        const found = routes.find((r) => r.method === request.method && r.pattern.test(url.pathname));
        if (!found) throw new CloudApiError('NotFound', 404, `no route ${request.method} ${url.pathname}`);
        const params = found.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
        const body = await readJson(request);
        result = await found.handler(params, body, url.searchParams);
        status = found.status ?? 200;
        if (result === undefined && status === 200) status = 204;
      } catch (error) {
        if (error instanceof CommandTimeoutError) {
          status = error.status;
          result = { TraceId: error.traceId, code: error.code, message: error.message };
        } else if (error instanceof CloudApiError) {
          status = error.status;
          result = { code: error.code, message: error.message };
        } else {
          status = 500;
          result = { code: 'InternalServerException', message: (error as Error).message };
        }
      }
      if (status === 204 || result === undefined) {
        response.writeHead(status === 200 ? 204 : status).end();
      } else {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      }
    })();
  };
}

/** Every cloud event the console shows (all of CloudEvents). */
const STREAMED_EVENTS: readonly (keyof CloudEvents)[] = ['provisioned', 'provisioning', 'capabilities',
  'capabilities-rejected', 'state', 'event', 'response', 'job-execution', 'connected', 'disconnected',
  'certificate-status'];

/** `GET /events[?types=a,b]`: the cloud's events as a server-sent event stream, until the client goes away. */
function streamEvents(core: CloudCore, types: string | null, response: ServerResponse): void {
  const wanted = types ? STREAMED_EVENTS.filter((t) => types.split(',').includes(t)) : STREAMED_EVENTS;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.write(': mi-cloud events\n\n');
  const listeners = wanted.map((type) => {
    const listener = (data: unknown) => {
      // Private keys never leave through the event stream.
      const safe = type === 'provisioning' ? JSON.parse(JSON.stringify(data), (k, v) => (k === 'privateKey' ? '(omitted)' : v))
        : data;
      response.write(`event: ${type}\ndata: ${JSON.stringify(safe)}\n\n`);
    };
    core.on(type, listener);
    return { type, listener };
  });
  response.on('close', () => { for (const { type, listener } of listeners) core.off(type, listener); });
}

async function readJson(request: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw invalid(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw invalid(`request body is not JSON: ${(error as Error).message}`);
  }
}
