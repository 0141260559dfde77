/**
 * Simple light example: the vendor capability `custom.SimpleLighting@1.0` (cluster 0xFFF1FC10) from
 * ../shared/matter/custom/, on endpoint 1. The simulated lamp warms up while lit and cools when off;
 * above 70 °C it emits `Overheated` and dims itself. A wall button toggles it now and then.
 * Portable: runs on an ESP32-S3 (moddable.ts) and on the Node simulator host (simulator.ts).
 */
import type { Agent, EndpointHandle } from '../../modules/index.js';
import { ActionError } from '../../modules/index.js';
import * as SimpleLighting from './generated/simple-lighting.js';

export interface SimpleLightOptions {
  /** How often the simulated lamp changes, in ms (default 5,000). */
  stepMs?: number;
}

export interface LampState {
  on: boolean;
  brightness: number; // 0..254
  colorName: string | null;
  temperature: number; // °C
}

export interface SimpleLight {
  lamp: LampState;
  endpoint: EndpointHandle;
  pressButton(): void;
  stop(): void;
}

const OVERHEAT_C = 70;

export function setupSimpleLight(agent: Agent, options: SimpleLightOptions = {}): SimpleLight {
  const { platform } = agent;
  const endpoint = agent.addEndpoint('1', 'Simple Light', ['Light']);
  const lamp: LampState = { on: false, brightness: 127, colorName: 'warm white', temperature: 24 };

  const reportLight = () => {
    SimpleLighting.reportOnOff(endpoint, lamp.on, { immediate: true });
    SimpleLighting.reportBrightness(endpoint, lamp.brightness);
  };

  SimpleLighting.registerSimpleLighting(endpoint, {
    getOnOff: (l) => l.on,
    setOnOff: (on, l) => { l.on = on; reportLight(); },
    getBrightness: (l) => l.brightness,
    setBrightness: (level, l) => { l.brightness = level; reportLight(); },
    getColorName: (l) => l.colorName,
    setColorName: (name, l) => { l.colorName = name; SimpleLighting.reportColorName(endpoint, name); },
    getTemperature: (l) => l.temperature,
    toggle: (_request, l) => { l.on = !l.on; reportLight(); },
    setBrightnessCommand: (request, l) => {
      if (l.temperature >= OVERHEAT_C && request.level > l.brightness) {
        throw new ActionError(409, 'OVERHEATED', `lamp at ${l.temperature} °C; cannot brighten`);
      }
      l.brightness = request.level;
      reportLight();
      return { applied: l.brightness };
    },
  }, lamp);

  let steps = 0;
  const timer = platform.timers.repeat(() => {
    steps++;
    const target = lamp.on ? 24 + (lamp.brightness / 254) * 60 : 24;
    lamp.temperature = Math.round((lamp.temperature + (target - lamp.temperature) * 0.2) * 10) / 10;
    SimpleLighting.reportTemperature(endpoint, lamp.temperature);
    if (lamp.on && lamp.temperature >= OVERHEAT_C) {
      SimpleLighting.emitOverheated(endpoint, { temperature: lamp.temperature });
      lamp.brightness = Math.floor(lamp.brightness / 2);
      reportLight();
    }
    if (steps % 60 === 0) toggleByButton();
  }, options.stepMs ?? 5_000);

  function toggleByButton() {
    lamp.on = !lamp.on;
    reportLight();
  }

  return {
    lamp,
    endpoint,
    pressButton: toggleByButton,
    stop: () => platform.timers.clear(timer),
  };
}
