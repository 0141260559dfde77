/**
 * The air purifier's simulated hardware: a fan, two filters that wear while the fan runs, and an
 * air-quality sensor whose readings drift and fall while the purifier cleans. It knows nothing of
 * MQTT or the data model; `main.ts` wires it to the generated cluster modules.
 */
import type { Random } from '../../platform/pal/index.js';

export type FanMode = 0 | 1 | 2 | 3 | 4 | 5 | 6; // FanModeEnum: Off, Low, Medium, High, On, Auto, Smart

export interface Readings {
  co2: number; // ppm
  formaldehyde: number; // µg/m³
  pm25: number; // µg/m³
  pm1: number; // µg/m³
  tvoc: number; // µg/m³
}

/** Percent of full airflow for each fan mode (Auto follows the air quality). */
const MODE_PERCENT: Record<FanMode, number> = { 0: 0, 1: 33, 2: 66, 3: 100, 4: 100, 5: 50, 6: 50 };

export class AirPurifierHardware {
  on = false;
  fanMode: FanMode = 0;
  percentSetting: number | null = 0;
  percentCurrent = 0;
  /** Remaining filter life in percent; wears while air flows. */
  hepaCondition = 100;
  carbonCondition = 100;
  readings: Readings = { co2: 650, formaldehyde: 30, pm25: 18, pm1: 9, tvoc: 220 };
  #random: Random;

  constructor(random: Random) {
    this.#random = random;
  }

  setPower(on: boolean): void {
    this.on = on;
    if (on && this.fanMode === 0) this.setFanMode(5);
    this.#updateAirflow();
  }

  setFanMode(mode: FanMode): void {
    this.fanMode = mode;
    this.percentSetting = MODE_PERCENT[mode];
    if (mode === 0) this.on = false;
    this.#updateAirflow();
  }

  setPercent(percent: number | null): void {
    this.percentSetting = percent;
    this.#updateAirflow();
  }

  replaceHepaFilter(): void {
    this.hepaCondition = 100;
  }

  replaceCarbonFilter(): void {
    this.carbonCondition = 100;
  }

  /** One simulation step: sensors drift, the fan cleans the air, the filters wear. */
  step(): void {
    const flow = this.percentCurrent / 100;
    const r = this.readings;
    r.co2 = clamp(r.co2 + this.#jitter(12) - flow * 6, 400, 5000);
    r.formaldehyde = clamp(r.formaldehyde + this.#jitter(2) - flow * (this.carbonCondition / 100) * 1.5, 0, 1000);
    r.pm25 = clamp(r.pm25 + this.#jitter(1.5) - flow * (this.hepaCondition / 100) * 1.2, 0, 1000);
    r.pm1 = clamp(r.pm1 + this.#jitter(0.8) - flow * (this.hepaCondition / 100) * 0.6, 0, 1000);
    r.tvoc = clamp(r.tvoc + this.#jitter(8) - flow * (this.carbonCondition / 100) * 5, 0, 5000);
    if (flow > 0) {
      this.hepaCondition = Math.max(0, this.hepaCondition - 0.2 * flow);
      this.carbonCondition = Math.max(0, this.carbonCondition - 0.3 * flow);
    }
    if (this.fanMode === 5) this.#updateAirflow();
  }

  /** AirQualityEnum from PM2.5 (Good 1 … ExtremelyPoor 6), after the EPA breakpoints. */
  airQuality(): 1 | 2 | 3 | 4 | 5 | 6 {
    const pm = this.readings.pm25;
    return pm <= 12 ? 1 : pm <= 35 ? 2 : pm <= 55 ? 3 : pm <= 150 ? 4 : pm <= 250 ? 5 : 6;
  }

  #updateAirflow(): void {
    if (!this.on) {
      this.percentCurrent = 0;
    } else if (this.fanMode === 5) {
      this.percentCurrent = Math.min(100, 30 + this.airQuality() * 12);
    } else {
      this.percentCurrent = this.percentSetting ?? MODE_PERCENT[this.fanMode];
    }
  }

  /** A random step in [-scale, +scale]. */
  #jitter(scale: number): number {
    const b = this.#random.bytes(2);
    return (((b[0]! << 8) | b[1]!) / 0xffff - 0.5) * 2 * scale;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(v * 10) / 10));
}
