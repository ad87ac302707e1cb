export { SeededRandom } from './seeded-random.js';
export { randomFleet, randomProfiles, randomRequirements, type FleetNode } from './random-fleet.js';
