/**
 * Number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves (0 <= index < size):
 * one sibling per level below the point where the paths to `index` and to the last leaf diverge, plus
 * one per perfect subtree left of that point.
 */
export function inclusionProofLength(index: bigint, size: bigint): number {
  const inner = bitLength(index ^ (size - 1n));
  return inner + popCount(index >> BigInt(inner));
}

/**
 * Number of hashes in the consistency proof from `size1` to `size2` leaves (0 < size1 < size2): the
 * inclusion proof of the largest perfect subtree ending at size1, preceded by that subtree's hash
 * unless it is the whole old tree (size1 a power of two), whose root the verifier already holds.
 */
export function consistencyProofLength(size1: bigint, size2: bigint): number {
  const shift = trailingZeros(size1);
  const inner = bitLength((size1 - 1n) ^ (size2 - 1n));
  const border = popCount((size1 - 1n) >> BigInt(inner));
  const oldRootIsPerfect = size1 === 1n << BigInt(shift);
  return (oldRootIsPerfect ? 0 : 1) + inner - shift + border;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function popCount(n: bigint): number {
  return n.toString(2).replaceAll('0', '').length;
}

function trailingZeros(n: bigint): number {
  let count = 0;
  for (let m = n; m > 0n && (m & 1n) === 0n; m >>= 1n) count++;
  return count;
}
