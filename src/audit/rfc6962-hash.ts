import { createHash, hash } from 'node:crypto';

/** Size in bytes of every RFC 6962 hash (SHA-256). */
export const HASH_SIZE = 32;

// Domain-separation prefixes: a leaf can never be passed off as an interior node (second-preimage defence).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One-shot hashing (crypto.hash) of prefix ‖ data laid out in a reused buffer costs about half of a
// createHash object with its updates. Most of what is left is the Buffer crypto.hash makes for its
// result: asked for a 'binary' (latin1) string instead, one character per byte, it costs a third.
// The *Latin1 functions hand that string on, for callers that store hashes in their own buffers
// (HashList.pushLatin1). Hashing is synchronous, so the buffers are never shared between two calls.
const LEAF_SCRATCH = Buffer.allocUnsafe(64 * 1024);
const NODE_SCRATCH = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);
NODE_SCRATCH[0] = NODE_PREFIX;

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Uint8Array {
  if (data.length >= LEAF_SCRATCH.length) {
    return createHash('sha256').update(Uint8Array.of(LEAF_PREFIX)).update(data).digest();
  }
  LEAF_SCRATCH[0] = LEAF_PREFIX;
  LEAF_SCRATCH.set(data, 1);
  return Buffer.from(hash('sha256', LEAF_SCRATCH.subarray(0, data.length + 1), 'binary'), 'latin1');
}

/**
 * RFC 6962 leaf hash of `bytes[start, end)`, as 32 latin1 characters (one per byte). When `start > 0`
 * the byte before the data is borrowed for the 0x00 prefix and put back before returning, so the data
 * is hashed where it lies instead of being copied first: `bytes` must not be read meanwhile by anything
 * else (a buffer shared with another thread, say).
 */
export function leafHashInPlace(bytes: Buffer, start: number, end: number): string {
  if (start === 0) {
    return createHash('sha256')
      .update(Uint8Array.of(LEAF_PREFIX))
      .update(bytes.subarray(0, end))
      .digest('binary');
  }
  const borrowed = bytes[start - 1]!;
  bytes[start - 1] = LEAF_PREFIX;
  try {
    return hash('sha256', view(bytes, start - 1, end), 'binary');
  } finally {
    bytes[start - 1] = borrowed;
  }
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return createHash('sha256').update(Uint8Array.of(NODE_PREFIX)).update(left).update(right).digest();
  }
  NODE_SCRATCH.set(left, 1);
  NODE_SCRATCH.set(right, 1 + HASH_SIZE);
  return Buffer.from(hash('sha256', NODE_SCRATCH, 'binary'), 'latin1');
}

/**
 * RFC 6962 interior node hash of the two hashes side by side at `pair[offset, offset + 64)` (left,
 * then right), as 32 latin1 characters. Like `leafHashInPlace`, it borrows the byte before them for
 * the 0x01 prefix when there is one.
 */
export function nodeHashInPlace(pair: Buffer, offset: number): string {
  const end = offset + 2 * HASH_SIZE;
  if (offset === 0) {
    pair.copy(NODE_SCRATCH, 1, 0, end);
    return hash('sha256', NODE_SCRATCH, 'binary');
  }
  const borrowed = pair[offset - 1]!;
  pair[offset - 1] = NODE_PREFIX;
  try {
    return hash('sha256', view(pair, offset - 1, end), 'binary');
  } finally {
    pair[offset - 1] = borrowed;
  }
}

/** `bytes[start, end)` as a plain Uint8Array view: half the cost of Buffer#subarray, per hash. */
function view(bytes: Buffer, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

/** Root of the empty tree: SHA-256 of the empty string (e3b0c442…b855). */
export function emptyRoot(): Uint8Array {
  return createHash('sha256').digest();
}
