import { createHash } from 'node:crypto';

/** Size in bytes of every RFC 6962 hash (SHA-256). */
export const HASH_SIZE = 32;

// Domain-separation prefixes: a leaf can never be passed off as an interior node (second-preimage defence).
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Root of the empty tree: SHA-256 of the empty string (e3b0c442…b855). */
export function emptyRoot(): Uint8Array {
  return createHash('sha256').digest();
}
