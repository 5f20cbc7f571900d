import type { EventStore } from '../events/event-store.js';
import type { ProjectionStatus } from './projection-view.js';

/** How far a projection is behind the head of `$all`. */
export interface ProjectionLag extends ProjectionStatus {
  head: bigint | undefined;
  /** Events recorded after the view's position (counted up to 10,000). */
  eventsBehind: number;
  /** Recorded-time distance between the head and the last event the view reflects. */
  msBehind: number;
}

const LAG_COUNT_CAP = 10_000;

/** How far each view is behind the head of the store's `$all` (`status` is asked once the head is read). */
export async function projectionLag(
  store: Pick<EventStore, 'readAll'>,
  status: () => readonly ProjectionStatus[],
): Promise<ProjectionLag[]> {
  const [head] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
  return Promise.all(
    status().map(async (status) => {
      const behind =
        head && (status.position === undefined || status.position < head.position)
          ? await store.readAll({
              fromPosition: status.position === undefined ? 'start' : status.position + 1n,
              maxCount: LAG_COUNT_CAP,
            })
          : [];
      const msBehind =
        head && behind.length > 0 ? Date.parse(head.recordedAt) - Date.parse(behind[0]!.recordedAt) : 0;
      return {
        ...status,
        head: head?.position,
        eventsBehind: behind.length,
        msBehind: Math.max(0, msBehind),
      };
    }),
  );
}
