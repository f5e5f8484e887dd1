export * from './calendar.js';
export * from './local-date.js';
export * from './utc-grid.js';
