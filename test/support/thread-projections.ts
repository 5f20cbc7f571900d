import type { ProjectionDefinition } from '../../src/projections/projection.js';
import { countingProjection } from './counting-projection.js';

/**
 * Counting views (test/support/counting-projection.ts) for the projection worker tests
 * (test/projections/projection-thread.test.ts): the worker loads them from this module by name, the
 * test passes the same definitions to the main thread.
 */
export const projections: readonly ProjectionDefinition[] = [
  { ...countingProjection({ name: 'counted' }), eventTypes: ['Counted'] },
  { ...countingProjection({ name: 'both' }), eventTypes: ['Counted', 'Other'] },
  { ...countingProjection({ name: 'fragile', failOn: 'Poison' }), eventTypes: ['Counted', 'Poison'] },
];
