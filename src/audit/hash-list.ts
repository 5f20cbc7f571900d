import { HASH_SIZE, nodeHashInPlace } from './rfc6962-hash.js';

// 4096 hashes = 128 KiB per chunk: growth never copies existing hashes and wastes at most one chunk.
const CHUNK_SHIFT = 12;
const CHUNK_LENGTH = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_LENGTH - 1;

/** Buffer#latin1Write: what write(…, 'latin1') calls, without its argument juggling (not in @types/node). */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

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

  /** Appends a hash given as 32 latin1 characters (one per byte), as the *Latin1 hash functions give it. */
  pushLatin1(hash: string): void {
    if (hash.length !== HASH_SIZE)
      throw new RangeError(`hash must be ${HASH_SIZE} bytes, got ${hash.length}`);
    const offset = this.#length & CHUNK_MASK;
    if (offset === 0) this.#chunks.push(Buffer.alloc(CHUNK_LENGTH * HASH_SIZE));
    (this.#chunks[this.#chunks.length - 1]! as Latin1Writable).latin1Write(hash, offset * HASH_SIZE);
    this.#length += 1;
  }

  /** Appends `count` hashes packed side by side in `hashes` (32 bytes each), a chunk at a time. */
  pushPacked(hashes: Buffer, count: number): void {
    if (hashes.length < count * HASH_SIZE)
      throw new RangeError(`${count} hashes need ${count * HASH_SIZE} bytes`);
    for (let done = 0; done < count;) {
      const offset = this.#length & CHUNK_MASK;
      if (offset === 0) this.#chunks.push(Buffer.alloc(CHUNK_LENGTH * HASH_SIZE));
      const n = Math.min(count - done, CHUNK_LENGTH - offset);
      hashes.copy(
        this.#chunks[this.#chunks.length - 1]!,
        offset * HASH_SIZE,
        done * HASH_SIZE,
        (done + n) * HASH_SIZE,
      );
      this.#length += n;
      done += n;
    }
  }

  /**
   * RFC 6962 node hash of the hashes at `index` (even) and `index + 1`, as latin1 characters: they sit
   * side by side in one chunk (chunks hold an even number of hashes), so nothing is copied out.
   */
  nodeHashOfPair(index: number): string {
    if (index % 2 !== 0 || index < 0 || index + 1 >= this.#length) {
      throw new RangeError(`no pair of hashes at ${index} of ${this.#length}`);
    }
    return nodeHashInPlace(this.#chunks[index >>> CHUNK_SHIFT]!, (index & CHUNK_MASK) * HASH_SIZE);
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
