import { costProjection } from './cost/cost-projection.js';
import { lookupProjection } from './lookup/lookup-projection.js';
import type { ProjectionDefinition } from './projection.js';
import { statsProjection } from './stats/stats-projection.js';
import { threadsProjection } from './threads/threads-projection.js';

/** Every read model bzzz keeps: lookup, threads, cost and stats. */
export const projections: readonly ProjectionDefinition[] = [
  lookupProjection,
  threadsProjection,
  costProjection,
  statsProjection,
];
