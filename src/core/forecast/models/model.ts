import type { SlotCalendar } from '../series.js';

/** What every model gets: the history and the local calendar of history followed by the horizon. */
export interface ModelInput {
  history: Float64Array;
  /** covers history.length + horizon positions */
  calendar: SlotCalendar;
  horizon: number;
  /** day type per position (history + horizon), see calendar-features.ts */
  dayType: Uint8Array;
  /** °C per position (history + horizon); absent: no weather input */
  temperature?: Float64Array;
}

export interface ForecastModel {
  readonly name: ModelName;
  /** bumped when the model's output for the same input changes */
  readonly version: number;
  /** point forecast for the horizon positions (NaN where the model cannot say) */
  predict(input: ModelInput): Float64Array;
}

export const MODEL_NAMES = [
  'seasonal-naive',
  'double-seasonal',
  'calendar-regression',
  'combination',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
