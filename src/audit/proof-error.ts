import { BzzzError } from '../errors.js';

/** Why a Merkle proof was rejected; stable strings, safe to branch on. */
export type ProofFailureReason =
  | 'invalid-size' // a size or index is not an unsigned 64-bit integer
  | 'index-out-of-range' // leafIndex >= treeSize
  | 'size-order' // size1 > size2
  | 'empty-tree' // consistency from size 0 proves nothing
  | 'bad-hash-length' // a leaf hash, root or proof node is not 32 bytes
  | 'wrong-proof-length' // the proof has more or fewer nodes than the sizes call for
  | 'root-mismatch'; // the proof is well formed but does not lead to the expected root

/** A Merkle inclusion or consistency proof did not verify. */
export class ProofVerificationError extends BzzzError {
  declare readonly code: 'PROOF_INVALID';

  constructor(
    readonly reason: ProofFailureReason,
    message: string,
  ) {
    super('PROOF_INVALID', `invalid Merkle proof (${reason}): ${message}`, { reason });
  }
}
