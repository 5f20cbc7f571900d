import { parentPort, workerData } from 'node:worker_threads';
import { StoreFileReader } from '../events/sqlite/store-file-reader.js';
import { recordLeaves } from './leaf-recording.js';
import { failureReply, replySize } from './leaf-worker-protocol.js';
import type { FeedReply, FeedRequest, StoreFileFeedData } from './store-file-feed-protocol.js';
import { AUDIT_STREAM_PREFIX } from './trail.js';
import { trailEventsOf } from './trail-batch.js';
import { TrailDb } from './trail-db.js';
import { TreeEdge } from './tree-edge.js';
import { lowerThisThreadsPriority } from './worker-priority.js';

/**
 * The trail's store-file worker (started by store-file-feed.ts): reads the trail's events from the
 * embedded store's file on its own read-only connection, as canonical pages composed in SQL exactly
 * as the store's own canonical reads compose them (store-file-reader.ts), hashes and records them in
 * the audit database (leaf-recording.ts) and hands the leaves and interior nodes to the writer. The
 * node's main thread is not involved per event: no subscription, no page composed there. Once caught
 * up it looks at the file every `paceMs` (PRAGMA data_version first: an idle node costs no page read),
 * and at once when the writer hurries it. It runs below the node's priority (worker-priority.ts).
 */

const port = parentPort!;
lowerThisThreadsPriority();
const data = workerData as StoreFileFeedData;
const db =
  TrailDb.openExisting(data.auditFile, data.trail) ??
  (() => {
    throw new Error(`the audit database ${data.auditFile} is gone`);
  })();
let reader: StoreFileReader;
try {
  reader = StoreFileReader.open(data.storeFile);
} catch (error) {
  db.close();
  throw error;
}
const edge = new TreeEdge(data.frontier);
const selection = { author: data.trail, excludeStreamPrefixes: [AUDIT_STREAM_PREFIX], withIdentity: true };
let followed = data.followed === null ? undefined : BigInt(data.followed);
/** Whether the last read reached the head of the log (then the next one waits `paceMs`). */
let caughtUp = false;
/** The request under way: its timer, while it waits. */
let pending: { timer: NodeJS.Timeout | undefined } | undefined;
let closed = false;

/** Reads and records the next batch if the log holds one; true when the request is answered. */
function tryRead(): boolean {
  // Nothing committed since the last read found nothing new: no page to read.
  if (!reader.changed() && caughtUp) return false;
  const page = reader.canonicalPage({
    ...selection,
    fromPosition: followed === undefined ? 0n : followed + 1n,
    maxCount: data.maxBatch,
  });
  caughtUp = page.scanned < data.maxBatch;
  if (page.last === undefined) return false;
  const events = trailEventsOf(page, data.trail, edge.size);
  const count = events.ids.length;
  const buffer = new ArrayBuffer(replySize(count));
  const upper = recordLeaves(db, edge, { ...events, shift: 0, followed: page.last }, Buffer.from(buffer));
  followed = page.last;
  reply({ count, upper, followed: page.last.toString(), buffer }, [buffer]);
  return true;
}

/** Answers the request under way now, or after `waitMs`, and again every paceMs until the log grows. */
function serve(waitMs: number): void {
  const request = pending;
  if (!request || closed) return;
  clearTimeout(request.timer);
  request.timer = undefined;
  if (waitMs > 0) {
    request.timer = setTimeout(() => serve(0), waitMs);
    return;
  }
  let answered: boolean;
  try {
    answered = tryRead();
  } catch (error) {
    pending = undefined;
    reply(failureReply(error));
    return;
  }
  if (answered) pending = undefined;
  else request.timer = setTimeout(() => serve(0), data.paceMs);
}

function reply(message: FeedReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', (message: FeedRequest) => {
  if (closed) return;
  if (message === 'close') {
    closed = true;
    clearTimeout(pending?.timer);
    pending = undefined;
    reader.close();
    db.close();
    reply({ closed: true });
    port.close();
  } else if (message === 'hurry') {
    serve(0);
  } else {
    pending = { timer: undefined };
    serve(caughtUp && !message.urgent ? data.paceMs : 0);
  }
});
reply({ ready: true });
