import type { BzzzConfig } from '../config/config.js';
import { openEventStore } from '../events/open-store.js';
import { loadOrCreateNodeIdentity } from '../identity/node-identity.js';
import { nodePaths } from '../node/bzzz-node.js';
import { ProjectionRunner, type RebuildProgress } from '../projections/projection-runner.js';
import { projections } from '../projections/projections.js';
import { openReadModelDatabase } from '../projections/read-model-db.js';

/**
 * `bzzz projections rebuild [name]`: rebuilds one view (or all) from zero with a progress bar and an
 * ETA on stderr. Safe beside a running server: its projections take up the rebuilt view.
 */
export async function runRebuild(args: readonly string[], config: BzzzConfig): Promise<number> {
  const [action, name, ...extra] = args;
  const names = projections.map((p) => p.name);
  if (action !== 'rebuild' || extra.length > 0 || (name !== undefined && !names.includes(name))) {
    console.error(`bzzz: usage: bzzz projections rebuild [${names.join('|')}]`);
    return 2;
  }
  const identity = loadOrCreateNodeIdentity(config.dataDir);
  const store = openEventStore(config, identity.nodeId);
  const db = openReadModelDatabase(nodePaths(config).readModelDb);
  const runner = new ProjectionRunner(store, db, projections);
  try {
    for (const projection of name ? [name] : names) {
      const status = await runner.rebuild(projection, (progress) =>
        process.stderr.write(progressLine(progress)),
      );
      process.stderr.write('\n');
      console.log(
        `bzzz: rebuilt ${projection}: ${status.events} events applied, at position ${status.position ?? 'start'}`,
      );
    }
    return 0;
  } finally {
    await runner.stop();
    db.close();
    await store.close();
  }
}

const BAR_WIDTH = 30;

/** `\r[#########.....]  42%  120,000 events  85,000/s  ETA 3s` */
export function progressLine(progress: RebuildProgress): string {
  const fraction =
    progress.head > 0n ? Math.min(1, Number((progress.position * 1000n) / progress.head) / 1000) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const eta = progress.etaSeconds === undefined ? '?' : `${Math.ceil(progress.etaSeconds)}s`;
  return (
    `\r${progress.name.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` +
    `${String(Math.round(fraction * 100)).padStart(3)}%  ${progress.events.toLocaleString('en-US')} events  ` +
    `${Math.round(progress.eventsPerSecond).toLocaleString('en-US')}/s  ETA ${eta}`
  );
}
