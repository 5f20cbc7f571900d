import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { canonicalEventBytes } from '../events/canonical-event.js';
import type { EventStore } from '../events/event-store.js';
import { peerIdOf } from '../identity/node-identity.js';
import { CHECKPOINT_EVENT_TYPE } from './checkpoint.js';
import { leafHash } from './rfc6962-hash.js';
import { type Location, TrailChecker, type TrailReport } from './trail-checks.js';
import {
  bytesEqual,
  checkpointStream,
  decodeEvent,
  fromBase64,
  fromHex,
  isTrailEvent,
  toBase64,
  toHex,
  whyNotTrailEvent,
} from './trail.js';
import type { VerifyProgress } from './verify-trail.js';

/** `format` of a bundle's header line. */
export const BUNDLE_FORMAT = 'bzzz-audit-bundle';
export const BUNDLE_VERSION = 1;

/** First line of a bundle. */
export interface BundleHeader {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  /** Node id (libp2p peer id) naming the trail. */
  trail: string;
  /** Raw 32-byte Ed25519 public key, standard base64; peerIdOf(public_key) must equal `trail`. */
  public_key: string;
  /** How leaves and nodes are hashed. */
  hash: 'rfc6962-sha256';
  /** What a leaf's data is: the canonical bytes of an event (src/events/canonical-event.ts). */
  leaf_data: 'bzzz-canonical-event-v1';
  created_at: string;
}

/** A trail event: its canonical bytes and, as a hint for locating damage, their leaf hash. */
export interface BundleEventLine {
  kind: 'event';
  /** Trail index: 0, 1, 2… in line order. */
  index: number;
  /** `$all` position in the exporting store (informative only: not covered by any hash). */
  position: string;
  /** RFC 6962 leaf hash of the bytes, lowercase hex (a hint: verifiers recompute it). */
  leaf: string;
  /** The event's canonical bytes, standard base64. */
  event: string;
}

/** A checkpoint, at its place in the log relative to the events. */
export interface BundleCheckpointLine {
  kind: 'checkpoint';
  position: string;
  /** The data of the TrailCheckpointSigned event, as stored. */
  checkpoint: unknown;
}

/** Last line: its absence means the bundle is truncated. */
export interface BundleEndLine {
  kind: 'end';
  events: number;
  checkpoints: number;
}

export interface ExportBundleOptions {
  store: EventStore;
  trail: string;
  publicKey: Uint8Array;
  /** Where to write the bundle (JSON lines); written to `<path>.tmp` then renamed. */
  path: string;
  now?: () => number;
  onProgress?: (progress: { position: bigint; head: bigint; events: number; checkpoints: number }) => void;
  pageSize?: number;
}

const WRITE_CHUNK = 1 << 20;

/**
 * Writes the trail of `trail` as a bundle: a header, then in `$all` order one line per trail event
 * (canonical bytes) and one per checkpoint of `audit-<trail>`, then an end line. Everything needed to
 * verify the trail offline is in it (see docs/audit-bundle.md).
 */
export async function exportBundle(
  options: ExportBundleOptions,
): Promise<{ events: number; checkpoints: number; bytes: number }> {
  const { store, trail } = options;
  if (peerIdOf(options.publicKey) !== trail)
    throw new Error(`the public key is not the key of trail ${trail}`);
  const auditStream = checkpointStream(trail);
  const temp = `${options.path}.tmp`;
  const file = await open(temp, 'w');
  let bytes = 0;
  let buffer = '';
  const write = async (line: object, force = false) => {
    buffer += `${JSON.stringify(line)}\n`;
    if (buffer.length >= WRITE_CHUNK || force) {
      const chunk = Buffer.from(buffer);
      await file.write(chunk);
      bytes += chunk.length;
      buffer = '';
    }
  };
  let events = 0;
  let checkpoints = 0;
  try {
    const header: BundleHeader = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      trail,
      public_key: toBase64(options.publicKey),
      hash: 'rfc6962-sha256',
      leaf_data: 'bzzz-canonical-event-v1',
      created_at: new Date((options.now ?? Date.now)()).toISOString(),
    };
    await write(header);
    const [last] = await store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    const head = last?.position ?? 0n;
    const pageSize = options.pageSize ?? 2000;
    let from = 0n;
    for (;;) {
      const page = await store.readAll({ fromPosition: from, maxCount: pageSize });
      for (const event of page) {
        if (event.stream === auditStream) {
          const line: BundleCheckpointLine = {
            kind: 'checkpoint',
            position: event.position.toString(),
            checkpoint: event.data,
          };
          await write(line);
          checkpoints++;
        } else if (isTrailEvent(event, trail)) {
          const canonical = canonicalEventBytes(event);
          const line: BundleEventLine = {
            kind: 'event',
            index: events,
            position: event.position.toString(),
            leaf: toHex(leafHash(canonical)),
            event: toBase64(canonical),
          };
          await write(line);
          events++;
        }
      }
      const reached = page[page.length - 1]?.position ?? head;
      options.onProgress?.({ position: reached, head, events, checkpoints });
      if (page.length < pageSize) break;
      from = reached + 1n;
    }
    const end: BundleEndLine = { kind: 'end', events, checkpoints };
    await write(end, true);
    await file.sync();
    await file.close();
    await rename(temp, options.path);
    return { events, checkpoints, bytes };
  } catch (error) {
    await file.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}

export interface VerifyBundleOptions {
  /** Require this trail (else: the one the header names). */
  trail?: string;
  /** Require this key (else: the header's, checked against the trail name). */
  publicKey?: Uint8Array;
  onProgress?: (progress: VerifyProgress) => void;
  progressIntervalMs?: number;
  maxIssues?: number;
  now?: () => number;
}

/** Verifies a bundle file offline: nothing but the file is read. */
export async function verifyBundle(path: string, options: VerifyBundleOptions = {}): Promise<TrailReport> {
  const total = (await stat(path)).size;
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    return await verifyBundleLines(lines, { ...options, totalBytes: total });
  } finally {
    lines.close();
    input.destroy();
  }
}

type Json = Record<string, unknown>;

/** Verifies a bundle given as lines (without their line ends). */
export async function verifyBundleLines(
  lines: AsyncIterable<string> | Iterable<string>,
  options: VerifyBundleOptions & { totalBytes?: number } = {},
): Promise<TrailReport> {
  const now = options.now ?? Date.now;
  const maxIssues = options.maxIssues ?? 100;
  const started = now();
  let lastProgress = started;
  let readBytes = 0;
  let lineNo = 0;
  let checker: TrailChecker | undefined;
  let ended: BundleEndLine | undefined;
  let checkpointLines = 0;

  const fatal = (message: string, line: number): TrailReport => {
    const failed = new TrailChecker(options.trail ?? '');
    failed.report({ reason: 'bad-bundle', message }, { sortKey: BigInt(line), line });
    return failed.finish(lineNo, maxIssues);
  };

  for await (const text of lines) {
    lineNo++;
    readBytes += Buffer.byteLength(text) + 1;
    const at: Location = { sortKey: BigInt(lineNo), line: lineNo };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (!checker) return fatal('the header line is not JSON', lineNo);
      checker.report({ reason: 'bad-bundle', message: 'the line is not JSON' }, at);
      continue;
    }
    if (!checker) {
      const header = checkHeader(value, options);
      if (typeof header === 'string') return fatal(header, lineNo);
      checker = new TrailChecker(header.trail, header.publicKey);
      continue;
    }
    const line = isObject(value) ? value : {};
    const position =
      typeof line.position === 'string' && /^\d+$/.test(line.position) ? BigInt(line.position) : undefined;
    if (position !== undefined) at.position = position;
    if (ended) {
      checker.report({ reason: 'bad-bundle', message: 'a line follows the end line' }, at);
      continue;
    }
    switch (line.kind) {
      case 'event':
        checkEventLine(checker, line, at);
        break;
      case 'checkpoint':
        checkpointLines++;
        checker.addCheckpoint(CHECKPOINT_EVENT_TYPE, line.checkpoint, at);
        break;
      case 'end':
        ended = { kind: 'end', events: Number(line.events), checkpoints: Number(line.checkpoints) };
        if (ended.events !== checker.tree.size || ended.checkpoints !== checkpointLines) {
          checker.report(
            {
              reason: 'bad-bundle',
              message:
                `the end line counts ${String(line.events)} events and ${String(line.checkpoints)} checkpoints, ` +
                `the bundle holds ${checker.tree.size} and ${checkpointLines}`,
            },
            at,
          );
        }
        break;
      default:
        checker.report(
          { reason: 'bad-bundle', message: `unknown line kind ${JSON.stringify(line.kind)}` },
          at,
        );
    }
    if (options.onProgress && now() - lastProgress >= (options.progressIntervalMs ?? 200)) {
      lastProgress = now();
      const seconds = Math.max(1e-3, (lastProgress - started) / 1000);
      const fraction = options.totalBytes ? Math.min(1, readBytes / options.totalBytes) : 0;
      options.onProgress({
        fraction,
        scanned: lineNo,
        trailEvents: checker.tree.size,
        checkpoints: checker.checkpointEvents,
        eventsPerSecond: lineNo / seconds,
        etaSeconds: fraction > 0 ? (seconds / fraction) * (1 - fraction) : undefined,
      });
    }
  }
  if (!checker) return fatal('the bundle is empty', 1);
  if (!ended) {
    checker.report(
      { reason: 'bad-bundle', message: 'the bundle has no end line: it is truncated' },
      { sortKey: BigInt(lineNo + 1), line: lineNo + 1 },
    );
  }
  return checker.finish(lineNo, maxIssues);
}

function checkHeader(
  value: unknown,
  options: VerifyBundleOptions,
): { trail: string; publicKey: Uint8Array } | string {
  if (!isObject(value) || value.format !== BUNDLE_FORMAT)
    return `the first line is not a ${BUNDLE_FORMAT} header`;
  if (value.version !== BUNDLE_VERSION)
    return `bundle version ${String(value.version)} is not supported (this verifier reads ${BUNDLE_VERSION})`;
  if (value.hash !== 'rfc6962-sha256' || value.leaf_data !== 'bzzz-canonical-event-v1') {
    return 'the header names a hash or leaf encoding this verifier does not know';
  }
  const trail = value.trail;
  if (typeof trail !== 'string' || trail.length === 0) return 'the header names no trail';
  if (options.trail !== undefined && trail !== options.trail)
    return `the bundle is the trail of ${trail}, not of ${options.trail}`;
  const publicKey = fromBase64(value.public_key, 32);
  if (!publicKey) return 'the header public_key is not a base64 32-byte Ed25519 key';
  if (peerIdOf(publicKey) !== trail)
    return `the header public key is the key of ${peerIdOf(publicKey)}, not of trail ${trail}`;
  if (options.publicKey && !bytesEqual(options.publicKey, publicKey))
    return 'the header public key is not the expected key';
  return { trail, publicKey };
}

function checkEventLine(checker: TrailChecker, line: Json, at: Location): void {
  const expected = checker.tree.size;
  const bytes = fromBase64(line.event);
  if (!bytes) {
    checker.report(
      { reason: 'bad-bundle', message: 'the event is not standard base64', index: expected },
      at,
    );
    return;
  }
  const leaf = leafHash(bytes);
  const why = whyNotTrailEvent(bytes, checker.trail);
  const decoded = why === undefined ? decodeEvent(bytes) : undefined;
  const about = decoded ? { eventId: decoded.id, stream: decoded.stream, revision: decoded.revision } : {};
  if (why !== undefined) {
    checker.report({ reason: 'bad-event', message: why, index: expected }, at);
  }
  if (line.index !== expected) {
    checker.report(
      {
        reason: 'order',
        message: `the event line says trail index ${JSON.stringify(line.index)}, but it is trail index ${expected}`,
        index: expected,
        ...about,
      },
      at,
    );
  }
  const hinted = fromHex(line.leaf, 32);
  if (!hinted || !bytesEqual(hinted, leaf)) {
    checker.report(
      {
        reason: 'leaf-mismatch',
        message: `the event bytes hash to leaf ${toHex(leaf)}, the line says ${JSON.stringify(line.leaf)}`,
        index: expected,
        ...about,
      },
      at,
    );
  }
  checker.addLeaf(leaf);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
