import { HASH_SIZE } from './rfc6962-hash.js';

// 4096 hashes = 128 KiB per chunk: growth never copies existing hashes and wastes at most one chunk.
const CHUNK_SHIFT = 12;
const CHUNK_LENGTH = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_LENGTH - 1;

/**
 * Append-only list of 32-byte hashes packed into fixed-size chunks, so a million hashes cost 32 MB
 * rather than a million small Buffer objects.
 */
export class HashList {
  readonly #chunks: Buffer[] = [];
  #length = 0;

  /** Number of hashes stored. */
  get length(): number {
    return this.#length;
  }

  /** Copies `hash` (exactly {@link HASH_SIZE} bytes) to the end of the list. */
  push(hash: Uint8Array): void {
    const offset = this.#length & CHUNK_MASK;
    if (offset === 0) this.#chunks.push(Buffer.alloc(CHUNK_LENGTH * HASH_SIZE));
    this.#chunks[this.#chunks.length - 1]!.set(hash, offset * HASH_SIZE);
    this.#length += 1;
  }

  /**
   * A view (not a copy) of the hash at `index`; callers that hand it out must copy it, or a caller
   * mutating it would corrupt the tree.
   */
  at(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new RangeError(`hash index ${index} is out of range [0, ${this.#length})`);
    }
    const start = (index & CHUNK_MASK) * HASH_SIZE;
    return this.#chunks[index >>> CHUNK_SHIFT]!.subarray(start, start + HASH_SIZE);
  }
}
