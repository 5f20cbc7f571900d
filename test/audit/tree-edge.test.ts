import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { TreeEdge } from '../../src/audit/tree-edge.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const packed = (from: number, count: number) =>
  Buffer.concat(Array.from({ length: count }, (_, i) => leafHash(Buffer.from(`leaf ${from + i}`))));

describe('tree edge', () => {
  it('gives the interior nodes appending leaves completes, whatever the tree and the batches', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 8 }),
        (start, batches) => {
          const tree = new MerkleTree();
          tree.appendPacked(packed(0, start), start);
          const reference = new MerkleTree();
          reference.appendPacked(packed(0, start), start);
          const edge = new TreeEdge(tree.frontier());
          let size = start;
          for (const count of batches) {
            const leaves = packed(size, count);
            const before = Buffer.from(leaves);
            // Room as documented, with a canary after it and something before the nodes.
            const room = count + Math.ceil(Math.log2(size + count + 1)) + 1;
            const out = Buffer.alloc(32 * (room + 2), 0xaa);
            const counts = edge.extend(leaves, count, out, 32);
            expect(leaves.equals(before)).toBe(true);
            expect(out.subarray(0, 32).every((b) => b === 0xaa)).toBe(true);
            let at = 32;
            const upper = counts.map((n) => out.subarray(at, (at += 32 * n)));
            expect(at).toBeLessThanOrEqual(32 * (room + 1));
            // appendComputed checks each level that grew against the one below it.
            tree.appendComputed(leaves, count, upper);
            reference.appendPacked(leaves, count);
            size += count;
            expect(edge.size).toBe(size);
            expect(hex(tree.root())).toBe(hex(reference.root()));
          }
          if (size > 0) {
            expect(tree.inclusionProof(size - 1).map(hex)).toEqual(
              reference.inclusionProof(size - 1).map(hex),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('starts from the right edge of any tree, as the tree gives it', () => {
    for (const size of [0, 1, 2, 3, 7, 8, 9, 1023, 1024, 1025]) {
      const tree = new MerkleTree();
      tree.appendPacked(packed(0, size), size);
      const edge = new TreeEdge(tree.frontier());
      const out = Buffer.alloc(32 * 20);
      const counts = edge.extend(packed(size, 1), 1, out);
      let at = 0;
      tree.appendComputed(
        packed(size, 1),
        1,
        counts.map((n) => out.subarray(at, (at += 32 * n))),
      );
      const reference = new MerkleTree();
      reference.appendPacked(packed(0, size + 1), size + 1);
      expect(hex(tree.root())).toBe(hex(reference.root()));
    }
  });

  it('has the tree refuse interior nodes out of step with its leaves', () => {
    const tree = new MerkleTree();
    tree.appendPacked(packed(0, 5), 5);
    const edge = new TreeEdge(tree.frontier());
    const out = Buffer.alloc(32 * 40);
    const counts = edge.extend(packed(5, 11), 11, out);
    let at = 0;
    const upper = counts.map((n) => Buffer.from(out.subarray(at, (at += 32 * n))));
    for (const [k, nodes] of upper.entries()) {
      // The newest node of level k + 1, one bit off.
      const wrong = upper.map((level) => Buffer.from(level));
      const level = wrong[k]!;
      level.writeUInt8(level.readUInt8(nodes.length - 1) ^ 1, nodes.length - 1);
      const copy = new MerkleTree();
      copy.appendPacked(packed(0, 5), 5);
      expect(() => copy.appendComputed(packed(5, 11), 11, wrong)).toThrow(/do not match/);
    }
    // One node too few.
    const short = upper.map((level, k) => (k === 0 ? level.subarray(32) : level));
    expect(() => tree.appendComputed(packed(5, 11), 11, short)).toThrow(/do not match/);
  });
});
