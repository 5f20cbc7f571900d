import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { ProofVerificationError } from '../../src/audit/proof-error.js';
import { emptyRoot, leafHash, nodeHash } from '../../src/audit/rfc6962-hash.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/verify-proof.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** RFC 6962 MTH straight from its recursive definition, independent of MerkleTree. */
function naiveRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

function flipBit(bytes: Uint8Array, bit = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

const leafHashes = (maxLength: number) =>
  fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength, size: 'max' }).map((data) => data.map(leafHash));

describe('MerkleTree known answers', () => {
  // The classic test tree of transparency-dev/merkle (and of RFC 6962 implementations before it).
  const data = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
  ];
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];

  it('has the RFC 6962 empty-tree root', () => {
    const expected = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(hex(emptyRoot())).toBe(expected);
    expect(hex(new MerkleTree().root())).toBe(expected);
  });

  it('matches the reference roots for sizes 1..8, incrementally and after the fact', () => {
    const tree = new MerkleTree();
    data.forEach((d, i) => {
      tree.append(leafHash(Buffer.from(d, 'hex')));
      expect(hex(tree.root())).toBe(roots[i]);
    });
    expect(roots.map((_, i) => hex(tree.rootAt(i + 1)))).toEqual(roots);
  });
});

describe('MerkleTree properties', () => {
  it('builds the same tree from packed batches of any sizes as one leaf at a time', () => {
    fc.assert(
      fc.property(
        leafHashes(300),
        fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 20 }),
        (leaves, cuts) => {
          const one = new MerkleTree(leaves);
          const packed = new MerkleTree();
          let at = 0;
          for (const cut of [...cuts, leaves.length]) {
            const batch = leaves.slice(at, Math.min(leaves.length, at + cut));
            packed.appendPacked(Buffer.concat(batch), batch.length);
            at += batch.length;
          }
          packed.appendPacked(Buffer.concat(leaves.slice(at)), leaves.length - at);
          expect(packed.size).toBe(leaves.length);
          for (let size = 0; size <= leaves.length; size += 1 + Math.floor(size / 7)) {
            expect(hex(packed.rootAt(size))).toBe(hex(one.rootAt(size)));
          }
          if (leaves.length > 1) {
            const index = leaves.length - 2;
            expect(packed.inclusionProof(index).map(hex)).toEqual(one.inclusionProof(index).map(hex));
            expect(packed.consistencyProof(1).map(hex)).toEqual(one.consistencyProof(1).map(hex));
          }
        },
      ),
    );
  });

  it('computes the same roots as the naive MTH, for every earlier size too', () => {
    fc.assert(
      fc.property(leafHashes(300), (leaves) => {
        const tree = new MerkleTree();
        for (const [i, hash] of leaves.entries()) {
          tree.append(hash);
          expect(hex(tree.root())).toBe(hex(naiveRoot(leaves.slice(0, i + 1))));
        }
        const rebuilt = new MerkleTree(leaves);
        for (let size = 0; size <= leaves.length; size++) {
          expect(hex(rebuilt.rootAt(size))).toBe(hex(tree.rootAt(size)));
        }
      }),
      { numRuns: 15 },
    );
  });

  it('produces inclusion proofs that verify for every (index, size)', () => {
    fc.assert(
      fc.property(leafHashes(300), (leaves) => {
        const tree = new MerkleTree(leaves);
        for (let size = 1; size <= leaves.length; size++) {
          const root = naiveRoot(leaves.slice(0, size));
          for (let index = 0; index < size; index++) {
            verifyInclusion(index, size, leaves[index]!, tree.inclusionProof(index, size), root);
          }
        }
      }),
      { numRuns: 3 },
    );
  });

  it('produces consistency proofs that verify for every size1 <= size2', () => {
    fc.assert(
      fc.property(leafHashes(300), (leaves) => {
        const tree = new MerkleTree(leaves);
        const roots = leaves.map((_, i) => tree.rootAt(i + 1));
        for (let size2 = 1; size2 <= leaves.length; size2++) {
          for (let size1 = 1; size1 <= size2; size1++) {
            const proof = tree.consistencyProof(size1, size2);
            verifyConsistency(size1, size2, proof, roots[size1 - 1]!, roots[size2 - 1]!);
          }
        }
      }),
      { numRuns: 3 },
    );
  });

  it('rejects inclusion proofs against a tampered leaf, root, proof node or index', () => {
    const cases = fc
      .integer({ min: 2, max: 300 })
      .chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1), fc.nat(255)));
    fc.assert(
      fc.property(cases, ([size, index, bit]) => {
        const leaves = Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
        const tree = new MerkleTree(leaves);
        const [leaf, root, proof] = [leaves[index]!, tree.root(), tree.inclusionProof(index)];
        const rejects = (check: () => void) => expect(check).toThrow(ProofVerificationError);
        rejects(() => verifyInclusion(index, size, flipBit(leaf, bit), proof, root));
        rejects(() => verifyInclusion(index, size, leaf, proof, flipBit(root, bit)));
        rejects(() => verifyInclusion((index + 1) % size, size, leaf, proof, root));
        proof.forEach((_, i) => {
          const tampered = proof.map((node, j) => (i === j ? flipBit(node, bit) : node));
          rejects(() => verifyInclusion(index, size, leaf, tampered, root));
        });
      }),
    );
  });

  it('rejects consistency proofs against a tampered root or proof node', () => {
    const cases = fc
      .integer({ min: 2, max: 300 })
      .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 - 1 }), fc.constant(size2), fc.nat(255)));
    fc.assert(
      fc.property(cases, ([size1, size2, bit]) => {
        const tree = new MerkleTree(
          Array.from({ length: size2 }, (_, i) => leafHash(Buffer.from([i, i >> 8]))),
        );
        const [root1, root2, proof] = [tree.rootAt(size1), tree.rootAt(size2), tree.consistencyProof(size1)];
        const rejects = (check: () => void) => expect(check).toThrow(ProofVerificationError);
        verifyConsistency(size1, size2, proof, root1, root2);
        rejects(() => verifyConsistency(size1, size2, proof, flipBit(root1, bit), root2));
        rejects(() => verifyConsistency(size1, size2, proof, root1, flipBit(root2, bit)));
        proof.forEach((_, i) => {
          const tampered = proof.map((node, j) => (i === j ? flipBit(node, bit) : node));
          rejects(() => verifyConsistency(size1, size2, tampered, root1, root2));
        });
      }),
    );
  });
});

describe('MerkleTree arguments', () => {
  const tree = new MerkleTree([
    leafHash(Uint8Array.of(1)),
    leafHash(Uint8Array.of(2)),
    leafHash(Uint8Array.of(3)),
  ]);

  it('rejects sizes and indexes it cannot answer for', () => {
    expect(() => tree.rootAt(4)).toThrow(RangeError);
    expect(() => tree.inclusionProof(3, 3)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 4)).toThrow(RangeError);
    expect(() => tree.consistencyProof(0, 3)).toThrow(RangeError);
    expect(() => tree.consistencyProof(3, 2)).toThrow(RangeError);
    expect(() => tree.append(new Uint8Array(31))).toThrow(RangeError);
  });

  it('hands out copies, so callers cannot corrupt it', () => {
    const root = tree.root();
    tree.inclusionProof(0)[0]!.fill(0);
    tree.rootAt(2).fill(0);
    expect(hex(tree.root())).toBe(hex(root));
    expect(tree.consistencyProof(3)).toEqual([]);
  });
});
