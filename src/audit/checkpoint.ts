import { canonicalJson } from '../events/canonical-json.js';
import { type NodeIdentity, peerIdOf, verifySignature } from '../identity/node-identity.js';
import { HASH_SIZE } from './rfc6962-hash.js';
import { fromBase64, fromHex, toBase64, toHex } from './trail.js';

/** Type of the events, in stream `audit-<nodeId>`, that carry a signed checkpoint. */
export const CHECKPOINT_EVENT_TYPE = 'TrailCheckpointSigned';

/** Domain separation: a checkpoint signature can never be replayed as a signature over anything else. */
export const CHECKPOINT_DOMAIN = 'bzzz-checkpoint-v1\n';

const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const FIELDS = ['trail', 'public_key', 'size', 'root', 'time', 'signature'] as const;

/** What a checkpoint states: the trail of `trail` had `size` leaves with Merkle root `root` at `time`. */
export interface CheckpointBody {
  /** Node id (libp2p peer id) of the trail's writer. */
  trail: string;
  size: number;
  /** RFC 6962 root, 64 lowercase hex digits. */
  root: string;
  /** ISO-8601 UTC time of signing. */
  time: string;
}

/** A checkpoint as stored (the data of a TrailCheckpointSigned event) and as exported in bundles. */
export interface SignedCheckpoint extends CheckpointBody {
  /** The writer's raw 32-byte Ed25519 public key, standard base64; its peer id must equal `trail`. */
  public_key: string;
  /** Ed25519 signature of {@link checkpointMessage}, standard base64 (64 bytes). */
  signature: string;
}

/**
 * The bytes a checkpoint signature covers: UTF-8 of `"bzzz-checkpoint-v1\n"` followed by the RFC 8785
 * canonical JSON of `{root, size, time, trail}` (keys sorted, no whitespace).
 */
export function checkpointMessage(body: CheckpointBody): Uint8Array {
  const text =
    CHECKPOINT_DOMAIN +
    canonicalJson({ root: body.root, size: body.size, time: body.time, trail: body.trail });
  return new TextEncoder().encode(text);
}

/** Signs a checkpoint of the identity's own trail. */
export function signCheckpoint(
  identity: NodeIdentity,
  checkpoint: { size: number; root: Uint8Array; time: Date | string },
): SignedCheckpoint {
  const body: CheckpointBody = {
    trail: identity.nodeId,
    size: checkpoint.size,
    root: toHex(checkpoint.root),
    time: typeof checkpoint.time === 'string' ? checkpoint.time : checkpoint.time.toISOString(),
  };
  return {
    ...body,
    public_key: toBase64(identity.publicKey),
    signature: toBase64(identity.sign(checkpointMessage(body))),
  };
}

/** Why a checkpoint is refused: malformed (`bad-checkpoint`) or not signed by the trail's key (`bad-signature`). */
export type CheckpointFailure = 'bad-checkpoint' | 'bad-signature';

export type CheckpointCheck =
  | { ok: true; checkpoint: SignedCheckpoint; root: Uint8Array; publicKey: Uint8Array }
  | { ok: false; reason: CheckpointFailure; message: string };

/**
 * Validates a checkpoint of trail `trail`: its shape, that its public key is the one the trail is named
 * after (and `publicKey`, when the verifier already knows it), and its signature.
 */
export function checkCheckpoint(value: unknown, trail: string, publicKey?: Uint8Array): CheckpointCheck {
  const bad = (message: string): CheckpointCheck => ({ ok: false, reason: 'bad-checkpoint', message });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('the checkpoint is not a JSON object');
  }
  const data = value as Record<string, unknown>;
  const extra = Object.keys(data).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (extra.length > 0) return bad(`unexpected field(s) ${extra.join(', ')}`);
  if (data.trail !== trail) return bad(`it names trail ${JSON.stringify(data.trail)}, not ${trail}`);
  const size = data.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return bad(`size ${JSON.stringify(size)} is not a non-negative integer`);
  }
  const root = fromHex(data.root, HASH_SIZE);
  if (!root) return bad('root is not 64 lowercase hex digits');
  if (typeof data.time !== 'string' || !ISO_UTC.test(data.time) || Number.isNaN(Date.parse(data.time))) {
    return bad(`time ${JSON.stringify(data.time)} is not an ISO-8601 UTC time`);
  }
  const key = fromBase64(data.public_key, ED25519_PUBLIC_KEY_SIZE);
  if (!key) return bad('public_key is not a base64 32-byte Ed25519 key');
  const signature = fromBase64(data.signature, ED25519_SIGNATURE_SIZE);
  if (!signature) return bad('signature is not a base64 64-byte Ed25519 signature');

  const checkpoint: SignedCheckpoint = {
    trail,
    public_key: data.public_key as string,
    size,
    root: data.root as string,
    time: data.time,
    signature: data.signature as string,
  };
  const keyTrail = peerIdOf(key);
  if (keyTrail !== trail) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `signed with key ${keyTrail}, which is not the key of trail ${trail}`,
    };
  }
  if (publicKey && toBase64(publicKey) !== checkpoint.public_key) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: 'public_key differs from the key the verifier holds for this trail',
    };
  }
  let valid: boolean;
  try {
    valid = verifySignature(key, checkpointMessage(checkpoint), signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `the signature does not verify with the key of trail ${trail}`,
    };
  }
  return { ok: true, checkpoint, root, publicKey: key };
}
