import { BzzzError } from '../errors.js';
import { canonicalEventBytes } from '../events/canonical-event.js';
import type { EventStore } from '../events/event-store.js';
import { CHECKPOINT_EVENT_TYPE, checkCheckpoint, type SignedCheckpoint } from './checkpoint.js';
import { MerkleTree } from './merkle-tree.js';
import { ProofVerificationError } from './proof-error.js';
import { leafHash } from './rfc6962-hash.js';
import type { TrailDb } from './trail-db.js';
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
import { verifyInclusion } from './verify-proof.js';

export const PROOF_FORMAT = 'bzzz-inclusion-proof';
export const PROOF_VERSION = 1;

/**
 * A self-contained proof that one event is in a node's trail: the event's canonical bytes, its trail
 * index, a signed checkpoint and the RFC 6962 audit path from the leaf to the checkpoint's root.
 */
export interface InclusionProofDocument {
  format: typeof PROOF_FORMAT;
  version: typeof PROOF_VERSION;
  trail: string;
  stream: string;
  revision: number;
  event_id: string;
  /** `$all` position in the proving store (informative only). */
  position: string;
  /** Trail index: the leaf index in the tree. */
  index: number;
  /** The event's canonical bytes, standard base64. */
  event: string;
  /** RFC 6962 leaf hash of the bytes, hex. */
  leaf: string;
  checkpoint: SignedCheckpoint;
  /** Audit path, leaf to root, hex. */
  proof: string[];
}

export interface ProveInclusionOptions {
  store: EventStore;
  /** The audit database with the trail's recorded leaves. */
  db: TrailDb;
  trail: string;
  publicKey?: Uint8Array;
  stream: string;
  revision: number;
}

/** Why no proof can be given; `code` tells the cases apart. */
export class InclusionError extends BzzzError {}

/**
 * The inclusion proof of `stream@revision` against the latest valid checkpoint of the trail. Fails if
 * the event is not in the trail, not yet covered by a checkpoint, or no longer matches what was
 * recorded (the proof would not verify).
 */
export async function proveInclusion(options: ProveInclusionOptions): Promise<InclusionProofDocument> {
  const { store, db, trail, stream, revision } = options;
  const [event] = await store.readStream(stream, { fromRevision: revision, maxCount: 1 });
  if (!event || event.revision !== revision) {
    throw new InclusionError('AUDIT_NO_EVENT', `${stream} has no event at revision ${revision}`, {
      stream,
      revision,
    });
  }
  if (!isTrailEvent(event, trail)) {
    throw new InclusionError(
      'AUDIT_NOT_IN_TRAIL',
      `${stream}@${revision} is not in the trail of ${trail} (another author, or a checkpoint)`,
      { stream, revision },
    );
  }
  const recorded = db.byStreamRevision(stream, revision);
  if (recorded && recorded.eventId !== event.id) {
    throw new InclusionError(
      'AUDIT_TAMPERED',
      `${stream}@${revision} is event ${event.id}, but trail index ${recorded.index} recorded event ` +
        `${recorded.eventId} there: run bzzz audit verify`,
      { stream, revision, index: recorded.index },
    );
  }
  if (!recorded) {
    throw new InclusionError(
      'AUDIT_NOT_RECORDED',
      `${stream}@${revision} is not recorded in the trail yet (the trail writer has not reached it)`,
      { stream, revision },
    );
  }
  const bytes = canonicalEventBytes(event);
  const leaf = leafHash(bytes);
  if (!bytesEqual(leaf, recorded.leaf)) {
    throw new InclusionError(
      'AUDIT_TAMPERED',
      `${stream}@${revision} no longer hashes to the leaf recorded for trail index ${recorded.index}: run bzzz audit verify`,
      { stream, revision, index: recorded.index },
    );
  }
  const latest = await latestCheckpoint(store, trail, options.publicKey);
  if (!latest) {
    throw new InclusionError('AUDIT_NO_CHECKPOINT', `the trail of ${trail} has no valid checkpoint yet`, {
      trail,
    });
  }
  const size = latest.checkpoint.size;
  if (recorded.index >= size) {
    throw new InclusionError(
      'AUDIT_NOT_COVERED',
      `${stream}@${revision} is trail index ${recorded.index}, but the latest checkpoint covers ${size} events: ` +
        'wait for the next checkpoint (or run bzzz audit checkpoint)',
      { stream, revision, index: recorded.index, size },
    );
  }
  if (db.count < size) {
    throw new InclusionError(
      'AUDIT_NOT_RECORDED',
      `the audit database holds ${db.count} leaves, fewer than the checkpoint's ${size}`,
      { size },
    );
  }
  const tree = new MerkleTree();
  for (const hash of db.leafHashes()) {
    if (tree.size === size) break;
    tree.appendLatin1(hash);
  }
  if (!bytesEqual(tree.root(), latest.root)) {
    throw new InclusionError(
      'AUDIT_TAMPERED',
      `the recorded leaves do not give the root the checkpoint signed at size ${size}: run bzzz audit verify`,
      { size },
    );
  }
  const proof = tree.inclusionProof(recorded.index, size);
  verifyInclusion(recorded.index, size, leaf, proof, latest.root);
  return {
    format: PROOF_FORMAT,
    version: PROOF_VERSION,
    trail,
    stream,
    revision,
    event_id: event.id,
    position: event.position.toString(),
    index: recorded.index,
    event: toBase64(bytes),
    leaf: toHex(leaf),
    checkpoint: latest.checkpoint,
    proof: proof.map(toHex),
  };
}

/** The last validly signed checkpoint in `audit-<trail>` (looking back at most `lookBack` events). */
export async function latestCheckpoint(
  store: EventStore,
  trail: string,
  publicKey?: Uint8Array,
  lookBack = 100,
): Promise<{ checkpoint: SignedCheckpoint; root: Uint8Array } | undefined> {
  const page = await store.readStream(checkpointStream(trail), {
    direction: 'backwards',
    maxCount: lookBack,
  });
  for (const event of page) {
    if (event.type !== CHECKPOINT_EVENT_TYPE) continue;
    const check = checkCheckpoint(event.data, trail, publicKey);
    if (check.ok) return { checkpoint: check.checkpoint, root: check.root };
  }
  return undefined;
}

/**
 * Verifies an inclusion proof document with nothing but its content (and, optionally, the trail and key
 * the verifier expects): the checkpoint's signature, that the bytes are a canonical event of the trail
 * matching the named stream, revision and id, and the audit path to the signed root.
 */
export function verifyInclusionProofDocument(
  value: unknown,
  expected: { trail?: string; publicKey?: Uint8Array } = {},
): { ok: true } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  if (typeof value !== 'object' || value === null) return fail('the proof is not a JSON object');
  const doc = value as Partial<Record<keyof InclusionProofDocument, unknown>>;
  if (doc.format !== PROOF_FORMAT || doc.version !== PROOF_VERSION)
    return fail('not a bzzz inclusion proof v1');
  if (typeof doc.trail !== 'string') return fail('the proof names no trail');
  if (expected.trail !== undefined && doc.trail !== expected.trail)
    return fail(`the proof is for trail ${doc.trail}`);
  const check = checkCheckpoint(doc.checkpoint, doc.trail, expected.publicKey);
  if (!check.ok) return fail(`checkpoint: ${check.reason}: ${check.message}`);
  const bytes = fromBase64(doc.event);
  if (!bytes) return fail('the event is not standard base64');
  const why = whyNotTrailEvent(bytes, doc.trail);
  if (why) return fail(why);
  const event = decodeEvent(bytes)!;
  if (event.stream !== doc.stream || event.revision !== doc.revision || event.id !== doc.event_id) {
    return fail('the event bytes are not the event the proof names');
  }
  const leaf = leafHash(bytes);
  if (doc.leaf !== undefined && doc.leaf !== toHex(leaf))
    return fail('the leaf is not the hash of the event bytes');
  if (!Array.isArray(doc.proof)) return fail('the audit path is not an array');
  const path: Uint8Array[] = [];
  for (const node of doc.proof) {
    const hash = fromHex(node, 32);
    if (!hash) return fail('the audit path holds something other than 32-byte hex hashes');
    path.push(hash);
  }
  if (typeof doc.index !== 'number' || !Number.isSafeInteger(doc.index))
    return fail('the index is not an integer');
  try {
    verifyInclusion(doc.index, check.checkpoint.size, leaf, path, check.root);
  } catch (error) {
    if (error instanceof ProofVerificationError) return fail(error.message);
    throw error;
  }
  return { ok: true };
}
