import { CHECKPOINT_EVENT_TYPE, checkCheckpoint, type SignedCheckpoint } from './checkpoint.js';
import { MerkleTree } from './merkle-tree.js';
import { ProofVerificationError } from './proof-error.js';
import { bytesEqual, toHex } from './trail.js';
import { verifyConsistency } from './verify-proof.js';

/** Why a trail does not verify; stable names, safe to branch on. */
export type TrailFailure =
  /** An event cannot be read back from the store (its row is not valid JSON). */
  | 'unreadable-event'
  /** An event's canonical bytes no longer hash to the leaf recorded for it (its content changed). */
  | 'leaf-mismatch'
  /** An event recorded in the trail is no longer in the log (or no longer authored by the node). */
  | 'missing-event'
  /** An event of the trail is in the log but was never recorded in the trail (inserted after the fact). */
  | 'unexpected-event'
  /** An event of the trail is not where the trail recorded it (events swapped or moved). */
  | 'order'
  /** A bundle event is not a canonical event of this trail. */
  | 'bad-event'
  /** A checkpoint is malformed, or something other than a checkpoint is in the checkpoint stream. */
  | 'bad-checkpoint'
  /** A checkpoint's signature does not verify with the trail's key (or it is signed with another key). */
  | 'bad-signature'
  /** A validly signed checkpoint's root is not the root of the trail's events at its size. */
  | 'root-mismatch'
  /** Two validly signed checkpoints of the trail that cannot both be true: evidence against the signer. */
  | 'equivocation'
  /** A bundle is malformed (header, line syntax, truncation). */
  | 'bad-bundle';

export interface TrailIssue {
  reason: TrailFailure;
  message: string;
  /** `$all` position of the event or checkpoint concerned (store verification; informative in bundles). */
  position?: bigint;
  /** 1-based line of the bundle file concerned (bundle verification). */
  line?: number;
  /** Trail index concerned. */
  index?: number;
  eventId?: string;
  stream?: string;
  revision?: number;
  /** For `equivocation`: the two signed checkpoints that contradict each other. */
  evidence?: { first: SignedCheckpoint; second: SignedCheckpoint };
}

/** Where a checked item is: what issues report, and the key they are ordered by. */
export interface Location {
  sortKey: bigint;
  position?: bigint;
  line?: number;
}

/** The outcome of verifying a trail, from a store or a bundle. */
export interface TrailReport {
  ok: boolean;
  trail: string;
  /** Log entries (store) or bundle lines read. */
  scanned: number;
  trailEvents: number;
  checkpoints: number;
  /** Checkpoints whose signature verifies with the trail's key. */
  validCheckpoints: number;
  /** The largest checkpoint that verifies against the events (undefined: none). */
  latest?: SignedCheckpoint;
  /** Trail events not covered by `latest` (signed by nothing yet). */
  uncovered: number;
  /** RFC 6962 root (hex) of every trail event read. */
  root: string;
  /** Events compared with the leaves recorded in the audit database (store verification). */
  recordedCompared?: number;
  /** The problems found, first (in log order) first; at most `maxIssues` of them. */
  issues: TrailIssue[];
  issueCount: number;
}

interface SeenCheckpoint {
  checkpoint: SignedCheckpoint;
  root: Uint8Array;
  at: Location;
  /** Trail events before the checkpoint in the log. */
  leavesBefore: number;
  matches: boolean;
}

/**
 * The checks common to store and bundle verification: fed the trail's leaves and the checkpoints in
 * log order, it rebuilds the tree, checks each checkpoint's signature, its root at its size, the
 * consistency between successive checkpoints, and tells equivocation (two signed checkpoints that
 * cannot both hold) from a root that merely does not match the events.
 */
export class TrailChecker {
  readonly tree = new MerkleTree();
  readonly #checkpoints: SeenCheckpoint[] = [];
  readonly #issues: (TrailIssue & { sortKey: bigint; seq: number })[] = [];
  #seq = 0;
  checkpointEvents = 0;

  constructor(
    readonly trail: string,
    readonly publicKey?: Uint8Array,
  ) {}

  get issueCount(): number {
    return this.#issues.length;
  }

  /** Appends a trail leaf; returns its trail index. */
  addLeaf(leaf: Uint8Array): number {
    this.tree.append(leaf);
    return this.tree.size - 1;
  }

  /** Appends a trail leaf given as 32 latin1 characters (`leafHashLatin1`); returns its trail index. */
  addLeafLatin1(leaf: string): number {
    this.tree.appendLatin1(leaf);
    return this.tree.size - 1;
  }

  report(issue: TrailIssue, at: Location): TrailIssue {
    const entry = { ...issue, sortKey: at.sortKey, seq: this.#seq++ };
    if (at.position !== undefined && entry.position === undefined) entry.position = at.position;
    if (at.line !== undefined && entry.line === undefined) entry.line = at.line;
    this.#issues.push(entry);
    return entry;
  }

  /** A checkpoint found at `at`, after the leaves already added. */
  addCheckpoint(type: string, data: unknown, at: Location): void {
    this.checkpointEvents++;
    if (type !== CHECKPOINT_EVENT_TYPE) {
      this.report(
        { reason: 'bad-checkpoint', message: `the checkpoint stream holds an event of type ${type}` },
        at,
      );
      return;
    }
    const check = checkCheckpoint(data, this.trail, this.publicKey);
    if (!check.ok) {
      this.report({ reason: check.reason, message: check.message }, at);
      return;
    }
    const { checkpoint, root } = check;
    const leavesBefore = this.tree.size;
    if (checkpoint.size > leavesBefore) {
      this.report(
        {
          reason: 'missing-event',
          message: `the checkpoint covers ${checkpoint.size} trail events but only ${leavesBefore} precede it`,
          index: leavesBefore,
        },
        at,
      );
    }
    this.#checkpoints.push({ checkpoint, root, at, leavesBefore, matches: false });
  }

  /** Classifies the checkpoints against the complete tree and returns the report. */
  finish(scanned: number, maxIssues: number, extra: Partial<TrailReport> = {}): TrailReport {
    const tree = this.tree;
    const seen = this.#checkpoints;
    for (const c of seen) {
      c.matches = c.checkpoint.size <= c.leavesBefore && bytesEqual(c.root, tree.rootAt(c.checkpoint.size));
    }
    for (const [i, c] of seen.entries()) {
      if (c.matches) continue;
      // Same size, different root: contradictory whatever the events say.
      const twin = seen.slice(0, i).find((e) => e.checkpoint.size === c.checkpoint.size);
      const witness =
        twin && !bytesEqual(twin.root, c.root)
          ? twin
          : seen.find((d) => d.matches && d.checkpoint.size >= c.checkpoint.size);
      if (witness) {
        this.report(
          {
            reason: 'equivocation',
            message:
              `checkpoint (size ${c.checkpoint.size}, root ${c.checkpoint.root}) contradicts the checkpoint ` +
              `(size ${witness.checkpoint.size}, root ${witness.checkpoint.root})` +
              (witness.matches ? ', which the events confirm' : '') +
              ': both are validly signed by the trail key',
            evidence: { first: witness.checkpoint, second: c.checkpoint },
          },
          c.at,
        );
      } else if (c.checkpoint.size <= c.leavesBefore) {
        this.report(
          {
            reason: 'root-mismatch',
            message:
              `the checkpoint signs root ${c.checkpoint.root} at size ${c.checkpoint.size}, ` +
              `but the events give ${toHex(tree.rootAt(c.checkpoint.size))}`,
            index: c.checkpoint.size - 1,
          },
          c.at,
        );
      }
    }
    // Consistency between successive good checkpoints, as a light client would check it.
    const good = seen.filter((c) => c.matches);
    for (let i = 1; i < good.length; i++) {
      const [a, b] = [good[i - 1]!, good[i]!];
      const [small, large] = a.checkpoint.size <= b.checkpoint.size ? [a, b] : [b, a];
      if (small.checkpoint.size === 0) continue;
      try {
        verifyConsistency(
          small.checkpoint.size,
          large.checkpoint.size,
          tree.consistencyProof(small.checkpoint.size, large.checkpoint.size),
          small.root,
          large.root,
        );
      } catch (error) {
        if (!(error instanceof ProofVerificationError)) throw error;
        this.report(
          {
            reason: 'equivocation',
            message: `checkpoints of sizes ${small.checkpoint.size} and ${large.checkpoint.size} are not consistent: ${error.message}`,
            evidence: { first: a.checkpoint, second: b.checkpoint },
          },
          b.at,
        );
      }
    }
    let latest: SeenCheckpoint | undefined;
    for (const c of good) if (!latest || c.checkpoint.size >= latest.checkpoint.size) latest = c;

    const issues = [...this.#issues]
      .sort((x, y) => (x.sortKey < y.sortKey ? -1 : x.sortKey > y.sortKey ? 1 : x.seq - y.seq))
      .slice(0, maxIssues)
      .map(({ sortKey: _sortKey, seq: _seq, ...issue }) => issue);
    const report: TrailReport = {
      ok: this.#issues.length === 0,
      trail: this.trail,
      scanned,
      trailEvents: tree.size,
      checkpoints: this.checkpointEvents,
      validCheckpoints: seen.length,
      uncovered: tree.size - (latest?.checkpoint.size ?? 0),
      root: toHex(tree.root()),
      issues,
      issueCount: this.#issues.length,
      ...extra,
    };
    if (latest) report.latest = latest.checkpoint;
    return report;
  }
}
