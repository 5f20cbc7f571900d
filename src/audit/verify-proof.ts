import { type ProofFailureReason, ProofVerificationError } from './proof-error.js';
import { consistencyProofLength, inclusionProofLength } from './proof-length.js';
import { HASH_SIZE, nodeHash } from './rfc6962-hash.js';

/** A tree size or leaf index: an unsigned 64-bit integer, as a bigint or a safe-integer number. */
export type TreeIndex = bigint | number;

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * Root hash implied by an inclusion proof (RFC 9162 section 2.1.3.2). Throws
 * {@link ProofVerificationError} if the proof is malformed for this index and size.
 */
export function rootFromInclusionProof(
  leafIndex: TreeIndex,
  treeSize: TreeIndex,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  const index = toUint64('leaf index', leafIndex);
  const size = toUint64('tree size', treeSize);
  if (index >= size) fail('index-out-of-range', `leaf index ${index} is not below tree size ${size}`);
  checkHash('leaf hash', leafHash);
  checkProof(proof, inclusionProofLength(index, size));

  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node is a lone right-edge child: it is promoted without hashing.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return r;
}

/** Checks that `leafHash` is leaf `leafIndex` of the tree of `treeSize` leaves whose root is `root`. */
export function verifyInclusion(
  leafIndex: TreeIndex,
  treeSize: TreeIndex,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash('root', root);
  const computed = rootFromInclusionProof(leafIndex, treeSize, leafHash, proof);
  if (!bytesEqual(computed, root)) fail('root-mismatch', `proof leads to ${hex(computed)}, not ${hex(root)}`);
}

/**
 * Checks that the tree of `size2` leaves with root `root2` extends the one of `size1` leaves with root
 * `root1` (RFC 9162 section 2.1.4.2). Rules at the edges follow transparency-dev/merkle: size1 must be
 * non-zero, and equal sizes need an empty proof and byte-identical roots.
 */
export function verifyConsistency(
  size1: TreeIndex,
  size2: TreeIndex,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const first = toUint64('size1', size1);
  const second = toUint64('size2', size2);
  if (first > second) fail('size-order', `size1 ${first} is greater than size2 ${second}`);
  if (first === 0n) fail('empty-tree', 'a consistency proof from the empty tree is meaningless');
  if (first === second) {
    if (proof.length !== 0) fail('wrong-proof-length', 'sizes are equal, so the proof must be empty');
    if (!bytesEqual(root1, root2)) fail('root-mismatch', 'sizes are equal but the roots differ');
    return;
  }
  checkHash('root1', root1);
  checkHash('root2', root2);
  checkProof(proof, consistencyProofLength(first, second));

  // When size1 is a power of two its whole tree is one perfect subtree, which the verifier holds as root1.
  const path = (first & (first - 1n)) === 0n ? [root1, ...proof] : proof;
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = fr;
  for (const c of path.slice(1)) {
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      // A node right of the old tree: part of the new tree only.
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (!bytesEqual(fr, root1)) fail('root-mismatch', `proof leads to root1 ${hex(fr)}, not ${hex(root1)}`);
  if (!bytesEqual(sr, root2)) fail('root-mismatch', `proof leads to root2 ${hex(sr)}, not ${hex(root2)}`);
}

function fail(reason: ProofFailureReason, message: string): never {
  throw new ProofVerificationError(reason, message);
}

function toUint64(name: string, value: TreeIndex): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    fail('invalid-size', `${name} ${value} is not a safe integer`);
  }
  const n = BigInt(value);
  if (n < 0n || n > MAX_UINT64) fail('invalid-size', `${name} ${n} is not an unsigned 64-bit integer`);
  return n;
}

function checkHash(name: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) fail('bad-hash-length', `${name} is ${hash.length} bytes, not ${HASH_SIZE}`);
}

// The RFC loop would also catch a wrong length (via sn), but only with an unhelpful root mismatch.
function checkProof(proof: readonly Uint8Array[], expected: number): void {
  if (proof.length !== expected) {
    fail('wrong-proof-length', `proof has ${proof.length} hashes, expected ${expected}`);
  }
  for (const [i, hash] of proof.entries()) checkHash(`proof[${i}]`, hash);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
