/**
 * The in-XS half of the XS lane. A scenario file calls `scenario(name, fn)`; the driver (run.mjs)
 * then steers the worker with JSON commands through xsnap's `handleCommand`, one crank per command,
 * so that XS's per-crank meter (compute units, heap slots) can be read around each step.
 * See test/xs/README.md for the contract.
 */
import { virtualTime } from './virtual-time.js';

export interface ScenarioContext {
  /** Fails the scenario with `message` unless `condition` is truthy. */
  assert(condition: unknown, message?: string): void;
  /** Fails unless `actual` deep-equals `expected` (primitives, arrays, plain objects, typed arrays). */
  equal(actual: unknown, expected: unknown, message?: string): void;
  /** Fails unless `fn` throws (or rejects) an error whose message contains `includes`. */
  throws(fn: () => unknown, includes: string, message?: string): Promise<void>;
  /**
   * Runs `fn` in cranks of its own and records compute units and heap slots (after a GC before,
   * right after, and after a GC once done). Resolves with `fn`'s result.
   */
  measure<T>(label: string, fn: () => T | Promise<T>): Promise<Awaited<T>>;
  /** Records a figure of the scenario's own (bytes of a bundle, packets round-tripped, …). */
  figure(name: string, value: number, unit: string): void;
  /** What the driver measured for the last completed `measure` (undefined before one completed). */
  lastMeasure(): MeasuredFigures | undefined;
  log(...values: unknown[]): void;
  /** Waits `ms` of virtual time (the driver jumps the clock; costs no wall time). */
  sleep(ms: number): Promise<void>;
}

/** The driver's meter readings of one `measure` (heap in XS slots, compute in XS meter units). */
export interface MeasuredFigures {
  label: string;
  compute: number;
  /** Live heap after a GC right before the step. */
  heapBefore: number;
  /** Largest heap count any crank of the step reported (garbage included). */
  heapPeak: number;
  /** Live heap after a GC once the step was done: what the step left resident, plus what was before. */
  heapRetained: number;
  heapGrowth: number;
}

export type ScenarioFunction = (t: ScenarioContext) => Promise<void> | void;

interface Registered {
  name: string;
  fn: ScenarioFunction;
}

type State = 'idle' | 'running' | 'measure-pending' | 'measuring' | 'measured' | 'passed' | 'failed';

interface PendingMeasure {
  label: string;
  fn: () => unknown;
  outcome?: Outcome;
  resume: (outcome: Outcome) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

class AssertionFailed extends Error {
  override name = 'AssertionFailed';
}

const registry: Registered[] = [];
let state: State = 'idle';
let failure: string | undefined;
let pendingMeasure: PendingMeasure | undefined;
let logs: string[] = [];
let figures: { name: string; value: number; unit: string }[] = [];
let lastMeasured: MeasuredFigures | undefined;

export function scenario(name: string, fn: ScenarioFunction): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('scenario name must be a non-empty string');
  if (registry.some((entry) => entry.name === name)) throw new Error(`scenario '${name}' is registered twice`);
  registry.push({ name, fn });
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length}) [${Array.from(value.subarray(0, 16)).join(',')}${value.length > 16 ? ',…' : ''}]`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const head = `${error.name}: ${error.message}`;
    return error.stack ? (error.stack.startsWith(head) ? error.stack : `${head}\n${error.stack}`) : head;
  }
  return `thrown non-error: ${describe(error)}`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.length === y.length && x.every((byte, i) => byte === y[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function fail(reason: string): void {
  if (state === 'passed' || state === 'failed') return;
  state = 'failed';
  failure = reason;
}

const context: ScenarioContext = {
  assert(condition: unknown, message = 'assertion failed'): void {
    if (!condition) throw new AssertionFailed(message);
  },
  equal(actual, expected, message = 'not equal') {
    if (!deepEqual(actual, expected)) throw new AssertionFailed(`${message}: expected ${describe(expected)}, got ${describe(actual)}`);
  },
  async throws(fn, includes, message = 'throws') {
    try {
      await fn();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (!text.includes(includes)) throw new AssertionFailed(`${message}: expected an error containing ${JSON.stringify(includes)}, got ${JSON.stringify(text)}`);
      return;
    }
    throw new AssertionFailed(`${message}: expected an error containing ${JSON.stringify(includes)}, nothing was thrown`);
  },
  measure<T>(label: string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
    if (pendingMeasure) return Promise.reject(new Error(`measure('${label}') while measure('${pendingMeasure.label}') is running: measures do not nest`));
    return new Promise<Awaited<T>>((resolve, reject) => {
      pendingMeasure = {
        label,
        fn,
        resume: (outcome) => (outcome.ok ? resolve(outcome.value as Awaited<T>) : reject(outcome.error)),
      };
      state = 'measure-pending';
    });
  },
  figure(name, value, unit) {
    figures.push({ name, value, unit });
  },
  lastMeasure() {
    return lastMeasured;
  },
  log(...values) {
    logs.push(values.map((value) => (typeof value === 'string' ? value : describe(value))).join(' '));
  },
  sleep(ms) {
    return new Promise<void>((resolve) => {
      virtualTime.set(resolve, ms);
    });
  },
};

function start(index: number): void {
  const entry = registry[index];
  if (!entry) throw new RangeError(`no scenario #${index}; ${registry.length} registered`);
  state = 'running';
  Promise.resolve()
    .then(() => entry.fn(context))
    .then(
      () => {
        if (pendingMeasure) fail(`the scenario returned while measure('${pendingMeasure.label}') was still pending (missing await?)`);
        else if (state === 'running') state = 'passed';
      },
      (error: unknown) => fail(errorText(error)),
    );
}

function runMeasure(): void {
  const measure = pendingMeasure;
  if (!measure || state !== 'measure-pending') throw new Error(`measure-run in state ${state}`);
  state = 'measuring';
  const settle = (outcome: Outcome) => {
    measure.outcome = outcome;
    if (state === 'measuring') state = 'measured';
  };
  try {
    const result = measure.fn();
    if (result instanceof Promise) result.then((value) => settle({ ok: true, value }), (error: unknown) => settle({ ok: false, error }));
    else settle({ ok: true, value: result });
  } catch (error) {
    settle({ ok: false, error });
  }
}

function resumeMeasure(measured: MeasuredFigures | undefined): void {
  const measure = pendingMeasure;
  if (!measure || state !== 'measured') throw new Error(`measure-resume in state ${state}`);
  lastMeasured = measured;
  pendingMeasure = undefined;
  state = 'running';
  measure.resume(measure.outcome ?? { ok: false, error: new Error('measure resumed before it settled') });
}

function status(): Record<string, unknown> {
  const reply = {
    state,
    failure,
    nextDue: virtualTime.nextDue,
    now: virtualTime.now,
    measure: pendingMeasure?.label,
    logs,
    figures,
  };
  logs = [];
  figures = [];
  return reply;
}

// XS reports unhandled rejections through console.error('UnhandledPromiseRejectionWarning:', reason).
const laneConsole = {
  error(...values: unknown[]) {
    if (values[0] === 'UnhandledPromiseRejectionWarning:') fail(`unhandled promise rejection: ${errorText(values[1])}`);
    else logs.push(`console.error: ${values.map((v) => describe(v)).join(' ')}`);
  },
  log(...values: unknown[]) {
    logs.push(values.map((v) => (typeof v === 'string' ? v : describe(v))).join(' '));
  },
};

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

interface Command {
  op: 'list' | 'start' | 'advance' | 'gc' | 'measure-run' | 'measure-resume' | 'status';
  index?: number;
  /** measure-resume: the driver's readings of the measure that just ran. */
  measured?: MeasuredFigures;
}

function dispatch(command: Command): void {
  switch (command.op) {
    case 'list':
    case 'status':
      return;
    case 'start':
      return start(command.index ?? 0);
    case 'advance':
      if (!virtualTime.advance()) fail('advance with no pending timer');
      return;
    case 'gc':
      (globalThis as unknown as { gc(): void }).gc();
      return;
    case 'measure-run':
      return runMeasure();
    case 'measure-resume':
      return resumeMeasure(command.measured);
    default:
      throw new Error(`unknown lane command ${describe(command)}`);
  }
}

/**
 * xsnap calls handleCommand, runs the promise jobs to completion, and only then reads `.result` of
 * what it returned: the getter therefore reports the state after everything the command set off.
 */
function handleCommand(bytes: ArrayBuffer): { readonly result: ArrayBuffer } {
  const command = JSON.parse(textDecoder.decode(new Uint8Array(bytes))) as Command;
  let commandError: string | undefined;
  try {
    dispatch(command);
  } catch (error) {
    commandError = errorText(error);
    if (command.op !== 'list') fail(commandError);
  }
  return {
    get result() {
      const reply = command.op === 'list' ? { names: registry.map((entry) => entry.name), error: commandError } : status();
      const encoded = textEncoder.encode(JSON.stringify(reply));
      return encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength) as ArrayBuffer;
    },
  };
}

const lane = globalThis as unknown as { handleCommand: typeof handleCommand; console: typeof laneConsole; trace?: (text: string) => void };
lane.handleCommand = handleCommand;
lane.console = laneConsole;
// xsnap has a native `trace` that prints nowhere useful; as Moddable's device console, its lines land in the scenario's log.
lane.trace = (text: string) => {
  logs.push(`trace: ${String(text).replace(/\n$/, '')}`);
};
