import { createHash, hash } from 'node:crypto';

/** Size in bytes of every RFC 6962 hash (SHA-256). */
export const HASH_SIZE = 32;

// Domain-separation prefixes: a leaf can never be passed off as an interior node (second-preimage defence).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One-shot hashing (crypto.hash) of prefix ‖ data laid out in a reused buffer costs about half of a
// createHash object with its updates, and a trail hashes two or three times per event. Hashing is
// synchronous, so the buffers are never shared between two calls in progress.
const LEAF_SCRATCH = Buffer.allocUnsafe(64 * 1024);
const NODE_SCRATCH = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Uint8Array {
  if (data.length >= LEAF_SCRATCH.length) {
    return createHash('sha256').update(Uint8Array.of(LEAF_PREFIX)).update(data).digest();
  }
  LEAF_SCRATCH[0] = LEAF_PREFIX;
  LEAF_SCRATCH.set(data, 1);
  return hash('sha256', LEAF_SCRATCH.subarray(0, data.length + 1), 'buffer');
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return createHash('sha256').update(Uint8Array.of(NODE_PREFIX)).update(left).update(right).digest();
  }
  NODE_SCRATCH[0] = NODE_PREFIX;
  NODE_SCRATCH.set(left, 1);
  NODE_SCRATCH.set(right, 1 + HASH_SIZE);
  return hash('sha256', NODE_SCRATCH, 'buffer');
}

/** Root of the empty tree: SHA-256 of the empty string (e3b0c442…b855). */
export function emptyRoot(): Uint8Array {
  return createHash('sha256').digest();
}
