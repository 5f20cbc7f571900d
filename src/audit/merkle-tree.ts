import { HashList } from './hash-list.js';
import { emptyRoot, HASH_SIZE, nodeHash } from './rfc6962-hash.js';

// Keeps every index within 32 bits so Math.clz32 and the chunk arithmetic of HashList stay exact.
const MAX_LEAVES = 2 ** 32 - 1;

/**
 * Append-only RFC 6962 Merkle tree (section 2.1) over leaf hashes, able to answer for any earlier size.
 *
 * `levels[k][i]` caches the hash of the perfect subtree of 2^k leaves starting at leaf i·2^k. The last
 * entry of each level whose bit is set in `size` forms the compact frontier, so appends cost O(1)
 * amortised hashes; roots and proofs for any size cost O(log n) lookups plus at most one hash per
 * perfect subtree on the tree's right edge. Memory is about 64 bytes per leaf.
 */
export class MerkleTree {
  readonly #levels: HashList[] = [new HashList()];

  /** Rebuilds a tree from leaf hashes already recorded elsewhere, in order. */
  constructor(leafHashes: Iterable<Uint8Array> = []) {
    for (const hash of leafHashes) this.append(hash);
  }

  /** Number of leaves. */
  get size(): number {
    return this.#levels[0]!.length;
  }

  /** Appends one leaf hash (see `leafHash` in rfc6962-hash.ts); the tree keeps its own copy. */
  append(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_SIZE) {
      throw new RangeError(`leaf hash must be ${HASH_SIZE} bytes, got ${leafHash.length}`);
    }
    this.appendLatin1(Buffer.from(leafHash.buffer, leafHash.byteOffset, HASH_SIZE).toString('latin1'));
  }

  /**
   * Appends one leaf hash given as 32 latin1 characters (`leafHashLatin1`): the bulk path, where no
   * hash, leaf or interior, becomes a Buffer of its own.
   */
  appendLatin1(leafHash: string): void {
    if (this.size >= MAX_LEAVES) throw new RangeError(`tree is full at ${MAX_LEAVES} leaves`);
    let hash = leafHash;
    for (let level = 0; ; level++) {
      if (level === this.#levels.length) this.#levels.push(new HashList());
      const list = this.#levels[level]!;
      list.pushLatin1(hash);
      // An odd count means the new node has no sibling yet: nothing above it is complete.
      if (list.length % 2 === 1) return;
      hash = list.nodeHashOfPair(list.length - 2);
    }
  }

  /**
   * Appends `count` leaf hashes packed side by side in `leaves` (32 bytes each): the tree `append` would
   * build one leaf at a time, built a level at a time.
   */
  appendPacked(leaves: Buffer, count: number): void {
    if (this.size + count > MAX_LEAVES) throw new RangeError(`tree is full at ${MAX_LEAVES} leaves`);
    let from = this.size;
    this.#levels[0]!.pushPacked(leaves, count);
    let to = this.size;
    // Level k + 1 always holds floor(length of level k / 2) nodes: add the ones the new pairs complete.
    for (let level = 0; Math.floor(to / 2) > Math.floor(from / 2); level++) {
      if (level + 1 === this.#levels.length) this.#levels.push(new HashList());
      const list = this.#levels[level]!;
      const above = this.#levels[level + 1]!;
      for (let pair = Math.floor(from / 2); pair < Math.floor(to / 2); pair++) {
        above.pushLatin1(list.nodeHashOfPair(2 * pair));
      }
      from = Math.floor(from / 2);
      to = Math.floor(to / 2);
    }
  }

  /**
   * The nodes an append starts from: for each level, its last node when the level has an odd number
   * of them (no sibling yet), else null. With the size, all another party needs to compute what
   * appending more leaves adds (see `appendComputed`).
   */
  frontier(): { size: number; nodes: (Uint8Array | null)[] } {
    return {
      size: this.size,
      nodes: this.#levels.map((list) =>
        list.length % 2 === 1 ? Uint8Array.from(list.at(list.length - 1)) : null,
      ),
    };
  }

  /**
   * Appends `count` leaf hashes packed in `leaves` together with the interior nodes they complete,
   * computed elsewhere from `frontier()`: `upper[k]` holds the new nodes of level k + 1, in order. Every
   * level must then hold half the one below it, and the newest node of each level that grew must be the
   * hash of its two children: both are checked (a hash per level that grew; the others are as they were
   * when checked), so a party out of step is caught at once.
   */
  appendComputed(leaves: Buffer, count: number, upper: readonly Buffer[]): void {
    if (this.size + count > MAX_LEAVES) throw new RangeError(`tree is full at ${MAX_LEAVES} leaves`);
    this.#levels[0]!.pushPacked(leaves, count);
    upper.forEach((nodes, k) => {
      if (k + 1 === this.#levels.length) this.#levels.push(new HashList());
      this.#levels[k + 1]!.pushPacked(nodes, nodes.length / HASH_SIZE);
    });
    for (let k = 0; k + 1 < this.#levels.length; k++) {
      const below = this.#levels[k]!;
      const above = this.#levels[k + 1]!;
      const last = above.length - 1;
      if (
        above.length !== Math.floor(below.length / 2) ||
        (k < upper.length && last >= 0 && latin1(above.at(last)) !== below.nodeHashOfPair(2 * last))
      ) {
        throw new Error(`internal: the interior nodes computed for level ${k + 1} do not match its leaves`);
      }
    }
  }

  /** MTH of the whole tree. */
  root(): Uint8Array {
    return this.rootAt(this.size);
  }

  /** MTH(D[0:size]) for any `size` up to the current one; the empty tree has {@link emptyRoot}. */
  rootAt(size: number): Uint8Array {
    this.#checkSize('size', size);
    if (size === 0) return emptyRoot();
    return Uint8Array.from(this.#rightEdge(size).get(0)!);
  }

  /** RFC 6962 PATH(index, D[0:size]): sibling hashes from the leaf up to the root. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.#checkSize('size', size);
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`leaf index ${index} is out of range [0, ${size})`);
    }
    const edge = this.#rightEdge(size);
    const path: Uint8Array[] = [];
    let start = 0;
    let end = size;
    // PATH unrolled top-down, so siblings come out root-first and are reversed at the end.
    while (end - start > 1) {
      const mid = start + splitPoint(end - start);
      if (index < mid) {
        path.push(this.#subtree(mid, end, edge));
        end = mid;
      } else {
        path.push(this.#subtree(start, mid, edge));
        start = mid;
      }
    }
    return path.reverse().map((hash) => Uint8Array.from(hash));
  }

  /** RFC 6962 PROOF(size1, D[0:size2]); requires 0 < size1 <= size2 (from the empty tree it is meaningless). */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.#checkSize('size2', size2);
    if (!Number.isInteger(size1) || size1 < 1 || size1 > size2) {
      throw new RangeError(`size1 ${size1} is out of range [1, ${size2}]`);
    }
    if (size1 === size2) return [];
    const edge = this.#rightEdge(size2);
    const proof: Uint8Array[] = [];
    let start = 0;
    let end = size2;
    // SUBPROOF's flag b: while true, the subtree ending at size1 is the old root the verifier already holds.
    let knownToVerifier = true;
    while (end !== size1) {
      const mid = start + splitPoint(end - start);
      if (size1 <= mid) {
        proof.push(this.#subtree(mid, end, edge));
        end = mid;
      } else {
        proof.push(this.#subtree(start, mid, edge));
        start = mid;
        knownToVerifier = false;
      }
    }
    if (!knownToVerifier) proof.push(this.#subtree(start, end, edge));
    return proof.reverse().map((hash) => Uint8Array.from(hash));
  }

  #checkSize(name: string, size: number): void {
    if (!Number.isInteger(size) || size < 0 || size > this.size) {
      throw new RangeError(`${name} ${size} is out of range [0, ${this.size}]`);
    }
  }

  /**
   * MTH(D[start:size]) for every start at which the decomposition of [0, size) into perfect subtrees
   * (largest first) has a boundary. Proofs only ever need these non-perfect subtrees, and they nest, so
   * folding them once from the right makes each proof O(log n) hashes instead of O(log² n).
   */
  #rightEdge(size: number): Map<number, Uint8Array> {
    const starts: number[] = [];
    let start = 0;
    for (let level = this.#levels.length - 1; level >= 0; level--) {
      if (size - start >= 2 ** level) {
        starts.push(start);
        start += 2 ** level;
      }
    }
    const edge = new Map<number, Uint8Array>();
    let hash: Uint8Array | undefined;
    for (let i = starts.length - 1; i >= 0; i--) {
      const pieceStart = starts[i]!;
      const piece = this.#subtree(pieceStart, starts[i + 1] ?? size, edge);
      hash = hash === undefined ? piece : nodeHash(piece, hash);
      edge.set(pieceStart, hash);
    }
    return edge;
  }

  /** MTH(D[start:end]) for a perfect aligned subtree, or a right-edge subtree present in `edge`. */
  #subtree(start: number, end: number, edge: Map<number, Uint8Array>): Uint8Array {
    const width = end - start;
    const level = 31 - Math.clz32(width);
    if (width === 2 ** level && start % width === 0) return this.#levels[level]!.at(start / width);
    const hash = edge.get(start);
    if (hash === undefined) throw new Error(`internal: no hash for non-perfect subtree [${start}, ${end})`);
    return hash;
  }
}

/** The bytes as latin1 characters (one per byte), as the *Latin1 hash functions give hashes. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** RFC 6962's k: the largest power of two strictly below n (n >= 2). */
function splitPoint(n: number): number {
  return 2 ** (31 - Math.clz32(n - 1));
}
