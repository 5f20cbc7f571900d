import { HASH_SIZE, nodeHash, nodeHashInPlace } from './rfc6962-hash.js';

/** Buffer#latin1Write: what write(…, 'latin1') calls, without its argument juggling (not in @types/node). */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

/**
 * Where an RFC 6962 tree's right edge is (MerkleTree.frontier()): its size and, for each level, its last
 * node when the level has an odd number of them (no sibling yet), else null.
 */
export interface TreeFrontier {
  size: number;
  nodes: readonly (Uint8Array | null)[];
}

/**
 * The right edge of an RFC 6962 tree, without the tree: enough to compute the interior nodes that
 * appending leaves completes, level by level, as MerkleTree.appendPacked builds them, for a party that
 * does not keep the tree (the trail writer's leaf worker) to hand them to one that does
 * (MerkleTree.appendComputed, which checks them).
 */
export class TreeEdge {
  #size: number;
  /** Per level, the node waiting for its right sibling (a copy of its own), or null. */
  readonly #pending: (Buffer | null)[];

  constructor(frontier: TreeFrontier) {
    this.#size = frontier.size;
    this.#pending = frontier.nodes.map((node) => (node ? Buffer.from(node) : null));
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Appends `count` leaf hashes packed in `leaves` (32 bytes each) and writes the interior nodes they
   * complete into `out` from `offset` on, level 1 first, each level's nodes in order; returns how many
   * each level got (levels that got none at the top are left out). `out` needs room for
   * `count + log2(size + count) + 1` hashes. The bytes of `leaves` and `out` are borrowed meanwhile
   * (hashed in place) and are as they were on return, the new nodes written.
   */
  extend(leaves: Buffer, count: number, out: Buffer, offset = 0): number[] {
    const counts: number[] = [];
    let nodes = leaves;
    let at = 0;
    let written = offset;
    for (let level = 0, n = count; n > 0; level++) {
      const pending = this.#pending[level] ?? null;
      const total = n + (pending ? 1 : 0);
      const parents = total >> 1;
      // Node j of the level (the pending one first): node(j) = nodes[at + 32 (j - shift)].
      const shift = pending ? 1 : 0;
      for (let p = 0; p < parents; p++) {
        const left = 2 * p - shift;
        const hash =
          left < 0
            ? Buffer.from(nodeHash(pending!, nodes.subarray(at, at + HASH_SIZE))).toString('latin1')
            : nodeHashInPlace(nodes, at + left * HASH_SIZE);
        (out as Latin1Writable).latin1Write(hash, written + p * HASH_SIZE);
      }
      // An odd total leaves the level's last new node without a sibling (the pending one, if any, got one).
      this.#pending[level] =
        total % 2 === 1 ? Buffer.from(nodes.subarray(at + (n - 1) * HASH_SIZE, at + n * HASH_SIZE)) : null;
      if (parents > 0) counts.push(parents);
      nodes = out;
      at = written;
      written += parents * HASH_SIZE;
      n = parents;
    }
    this.#size += count;
    return counts;
  }
}
