/**
 * Air purifier example, after the guide's iotmi_device_dm_air_purifier demo:
 *   endpoint 1 "Air Purifier": OnOff, FanControl, HepaFilterMonitoring, ActivatedCarbonFilterMonitoring;
 *   endpoint 2 "Air Quality Sensor": AirQuality and the CO2, formaldehyde, PM2.5, PM1 and TVOC
 *   concentration measurements.
 * Portable: the same code runs on an ESP32-S3 (moddable.ts) and on the Node simulator host
 * (simulator.ts). It uses only the SDK's public API and its generated cluster modules.
 */
import type { Agent, EndpointHandle } from '../../modules/index.js';
import { ActionError } from '../../modules/index.js';
import * as OnOff from './generated/on-off.js';
import * as FanControl from './generated/fan-control.js';
import * as Hepa from './generated/hepa-filter-monitoring.js';
import * as Carbon from './generated/activated-carbon-filter-monitoring.js';
import * as AirQuality from './generated/air-quality.js';
import * as Co2 from './generated/carbon-dioxide-concentration-measurement.js';
import * as Formaldehyde from './generated/formaldehyde-concentration-measurement.js';
import * as Pm25 from './generated/pm25-concentration-measurement.js';
import * as Pm1 from './generated/pm1-concentration-measurement.js';
import * as Tvoc from './generated/total-volatile-organic-compounds-concentration-measurement.js';
import { AirPurifierHardware, type FanMode } from './hardware.js';

export interface AirPurifierOptions {
  /** How often the simulated hardware changes, in ms (default 5,000). */
  stepMs?: number;
}

export interface AirPurifier {
  hardware: AirPurifierHardware;
  purifier: EndpointHandle;
  sensor: EndpointHandle;
  /** The physical power button: toggles and reports at once. */
  pressButton(): void;
  /** Stops the simulation timer. */
  stop(): void;
}

/** Adds the endpoints, registers every cluster's callbacks and starts the simulated hardware. */
export function setupAirPurifier(agent: Agent, options: AirPurifierOptions = {}): AirPurifier {
  const { platform } = agent;
  const hw = new AirPurifierHardware(platform.random);
  const purifier = agent.addEndpoint('1', 'Air Purifier', ['Air Purifier']);
  const sensor = agent.addEndpoint('2', 'Air Quality Sensor', ['Air Quality Sensor']);

  const reportPower = () => {
    OnOff.reportOnOff(purifier, hw.on, { immediate: true });
    FanControl.reportFanMode(purifier, hw.fanMode);
    FanControl.reportPercentSetting(purifier, hw.percentSetting);
    FanControl.reportPercentCurrent(purifier, hw.percentCurrent);
  };

  OnOff.registerOnOff(purifier, {
    getOnOff: (h) => h.on,
    getOnTime: () => 0,
    getStartUpOnOff: () => OnOff.StartUpOnOffEnum.Off,
    on: (_request, h) => { h.setPower(true); reportPower(); },
    off: (_request, h) => { h.setPower(false); reportPower(); },
    toggle: (_request, h) => { h.setPower(!h.on); reportPower(); },
  }, hw);

  FanControl.registerFanControl(purifier, {
    getFanMode: (h) => h.fanMode,
    setFanMode: (mode, h) => { h.setFanMode(mode as FanMode); reportPower(); },
    getFanModeSequence: () => FanControl.FanModeSequenceEnum.OffLowMedHighAuto,
    getPercentSetting: (h) => h.percentSetting,
    setPercentSetting: (percent, h) => { h.setPercent(percent); reportPower(); },
    getPercentCurrent: (h) => h.percentCurrent,
    step: (request, h) => {
      const delta = request.direction === FanControl.StepDirectionEnum.Increase ? 10 : -10;
      const next = Math.min(100, Math.max(0, (h.percentSetting ?? 0) + delta));
      if (next === h.percentSetting && !request.wrap) throw new ActionError(409, 'FAN_AT_LIMIT', `fan already at ${next}%`);
      h.setPercent(next);
      reportPower();
    },
  }, hw);

  Hepa.registerHepaFilterMonitoring(purifier, {
    getCondition: (h) => Math.round(h.hepaCondition),
    getDegradationDirection: () => Hepa.DegradationDirectionEnum.Down,
    getChangeIndication: (h) => changeIndication(h.hepaCondition),
    getInPlaceIndicator: () => true,
    resetCondition: (_request, h) => { h.replaceHepaFilter(); Hepa.reportCondition(purifier, 100, { immediate: true }); },
  }, hw);

  Carbon.registerActivatedCarbonFilterMonitoring(purifier, {
    getCondition: (h) => Math.round(h.carbonCondition),
    getDegradationDirection: () => Carbon.DegradationDirectionEnum.Down,
    getChangeIndication: (h) => changeIndication(h.carbonCondition),
    getInPlaceIndicator: () => true,
    resetCondition: (_request, h) => { h.replaceCarbonFilter(); Carbon.reportCondition(purifier, 100, { immediate: true }); },
  }, hw);

  AirQuality.registerAirQuality(sensor, { getAirQuality: (h) => h.airQuality() }, hw);

  // The five concentration clusters share one shape; each reads its own sensor channel.
  const ugm3 = Pm25.MeasurementUnitEnum.UGM3;
  const air = Pm25.MeasurementMediumEnum.Air;
  Co2.registerCarbonDioxideConcentrationMeasurement(sensor, {
    getMeasuredValue: (h) => h.readings.co2, getMeasurementUnit: () => Co2.MeasurementUnitEnum.PPM,
    getMeasurementMedium: () => air, getMinMeasuredValue: () => 400, getMaxMeasuredValue: () => 5000,
  }, hw);
  Formaldehyde.registerFormaldehydeConcentrationMeasurement(sensor, {
    getMeasuredValue: (h) => h.readings.formaldehyde, getMeasurementUnit: () => ugm3, getMeasurementMedium: () => air,
  }, hw);
  Pm25.registerPm25ConcentrationMeasurement(sensor, {
    getMeasuredValue: (h) => h.readings.pm25, getMeasurementUnit: () => ugm3, getMeasurementMedium: () => air,
  }, hw);
  Pm1.registerPm1ConcentrationMeasurement(sensor, {
    getMeasuredValue: (h) => h.readings.pm1, getMeasurementUnit: () => ugm3, getMeasurementMedium: () => air,
  }, hw);
  Tvoc.registerTotalVolatileOrganicCompoundsConcentrationMeasurement(sensor, {
    getMeasuredValue: (h) => h.readings.tvoc, getMeasurementUnit: () => ugm3, getMeasurementMedium: () => air,
  }, hw);

  // The hardware changes on its own; changes are reported (coalesced in the agent's report window).
  let lastQuality = hw.airQuality();
  let lastHepa = Math.round(hw.hepaCondition);
  let lastCarbon = Math.round(hw.carbonCondition);
  const timer = platform.timers.repeat(() => {
    hw.step();
    const r = hw.readings;
    Co2.reportMeasuredValue(sensor, r.co2);
    Formaldehyde.reportMeasuredValue(sensor, r.formaldehyde);
    Pm25.reportMeasuredValue(sensor, r.pm25);
    Pm1.reportMeasuredValue(sensor, r.pm1);
    Tvoc.reportMeasuredValue(sensor, r.tvoc);
    if (hw.airQuality() !== lastQuality) AirQuality.reportAirQuality(sensor, (lastQuality = hw.airQuality()));
    if (Math.round(hw.hepaCondition) !== lastHepa) Hepa.reportCondition(purifier, (lastHepa = Math.round(hw.hepaCondition)));
    if (Math.round(hw.carbonCondition) !== lastCarbon) Carbon.reportCondition(purifier, (lastCarbon = Math.round(hw.carbonCondition)));
    FanControl.reportPercentCurrent(purifier, hw.percentCurrent);
  }, options.stepMs ?? 5_000);

  return {
    hardware: hw,
    purifier,
    sensor,
    pressButton() {
      hw.setPower(!hw.on);
      reportPower();
    },
    stop() {
      platform.timers.clear(timer);
    },
  };
}

function changeIndication(condition: number): 0 | 1 | 2 {
  return condition > 20 ? 0 : condition > 5 ? 1 : 2; // ChangeIndicationEnum: OK, Warning, Critical
}
