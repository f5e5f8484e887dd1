export * from './faults.js';
export * from './fleet.js';
export * from './generator.js';
export * from './load-profiles.js';
export { hash32, Rng } from './rng.js';
