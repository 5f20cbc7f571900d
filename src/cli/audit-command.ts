import { exportBundle, verifyBundle } from '../audit/bundle.js';
import { InclusionError, latestCheckpoint, proveInclusion } from '../audit/inclusion.js';
import type { TrailIssue, TrailReport } from '../audit/trail-checks.js';
import { auditDbPath, TrailDb } from '../audit/trail-db.js';
import { TrailWriter } from '../audit/trail-writer.js';
import { type VerifyProgress, verifyTrail } from '../audit/verify-trail.js';
import type { BzzzConfig } from '../config/config.js';
import { BzzzError } from '../errors.js';
import type { EventStore } from '../events/event-store.js';
import { openEventStore } from '../events/open-store.js';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../identity/node-identity.js';

export const AUDIT_USAGE = `usage: bzzz audit <command>

  verify [--json]                check this node's trail: every event's leaf, the tree, every checkpoint's
                                 signature and root, consistency between checkpoints; exit 1 on failure
  verify --bundle <path> [--json]
                                 check an exported bundle offline (nothing else is read)
  export <path>                  write this node's trail (events, checkpoints, public key) as a bundle
  proof <stream> <revision>      print the inclusion proof of an event against the latest checkpoint
  checkpoint                     bring the trail up to date and sign a checkpoint now if it grew

the bundle format and the verification algorithm are described in docs/audit-bundle.md.`;

/** What the audit commands work on: this node's store, key and audit database. */
export interface AuditContext {
  store: EventStore;
  identity: NodeIdentity;
  auditDbPath: string;
}

export interface AuditDeps {
  /** Opens the node's store and key (not called for `verify --bundle`). */
  open: () => AuditContext;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Progress of long runs (`\r`-prefixed, no newline); none when absent. */
  progress?: (text: string) => void;
}

class UsageError extends Error {}

/** `bzzz audit <args>`. Returns the exit code: 0 ok, 1 verification or proof failure, 2 bad usage. */
export async function runAudit(args: readonly string[], deps: AuditDeps): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'verify':
        return await verify(rest, deps);
      case 'export':
        return await exportTrail(rest, deps);
      case 'proof':
        return await proof(rest, deps);
      case 'checkpoint':
        return await checkpoint(rest, deps);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        for (const line of AUDIT_USAGE.split('\n')) (command === undefined ? deps.err : deps.out)(line);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(
          `unknown audit command "${command}"; accepted: verify, export, proof, checkpoint`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      deps.err(`bzzz audit: ${error.message}`);
      return 2;
    }
    if (error instanceof InclusionError) {
      deps.err(`bzzz audit proof: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** Runs `bzzz audit` against the configured node, on the console. */
export async function runAuditCommand(args: readonly string[], config: BzzzConfig): Promise<number> {
  let context: AuditContext | undefined;
  try {
    return await runAudit(args, {
      open: () => {
        const identity = loadOrCreateNodeIdentity(config.dataDir);
        context = {
          identity,
          store: openEventStore(config, identity.nodeId),
          auditDbPath: auditDbPath(config.dataDir),
        };
        return context;
      },
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      progress: (text) => process.stderr.write(text),
    });
  } finally {
    await context?.store.close();
  }
}

function parseFlags(
  args: readonly string[],
  valued: readonly string[],
  flags: readonly string[],
): { positional: string[]; options: Map<string, string>; set: Set<string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const set = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (flags.includes(name) && eq === -1) {
      set.add(name);
    } else if (valued.includes(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return { positional, options, set };
}

async function verify(args: readonly string[], deps: AuditDeps): Promise<number> {
  const { positional, options, set } = parseFlags(args, ['bundle'], ['json']);
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const progress = progressPrinter(deps);
  const bundle = options.get('bundle');
  let report: TrailReport;
  if (bundle !== undefined) {
    report = await verifyBundle(bundle, { onProgress: progress.update });
  } else {
    const { store, identity, auditDbPath: path } = deps.open();
    const recorded = TrailDb.openExisting(path, identity.nodeId);
    try {
      report = await verifyTrail({
        store,
        trail: identity.nodeId,
        publicKey: identity.publicKey,
        ...(recorded ? { recorded } : {}),
        onProgress: progress.update,
      });
    } finally {
      recorded?.close();
    }
  }
  progress.done();
  if (set.has('json')) {
    deps.out(
      JSON.stringify(report, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2),
    );
  } else {
    for (const line of formatReport(report, bundle)) (report.ok ? deps.out : deps.err)(line);
  }
  return report.ok ? 0 : 1;
}

/** The report in a few lines: OK with counts, or the first failure, where and why. */
export function formatReport(report: TrailReport, bundle?: string): string[] {
  const n = (count: number) => count.toLocaleString('en-US');
  const source = bundle === undefined ? '' : ` (bundle ${bundle})`;
  if (report.ok) {
    const lines = [
      `audit OK: trail ${report.trail}${source}: ${n(report.trailEvents)} events, ` +
        `${n(report.validCheckpoints)} checkpoint(s) verified (${n(report.scanned)} ${bundle === undefined ? 'log entries' : 'lines'} read)`,
    ];
    if (report.latest) {
      lines.push(
        `  latest checkpoint: size ${n(report.latest.size)}, root ${report.latest.root}, signed ${report.latest.time}`,
      );
    }
    lines.push(`  root of all ${n(report.trailEvents)} events: ${report.root}`);
    if (report.uncovered > 0) {
      lines.push(`  ${n(report.uncovered)} event(s) after the latest checkpoint are not signed yet`);
    }
    if (report.recordedCompared !== undefined) {
      lines.push(
        `  ${n(report.recordedCompared)} event(s) matched the leaves recorded in the audit database`,
      );
    }
    return lines;
  }
  const [first] = report.issues;
  const lines = [
    `audit FAILED: trail ${report.trail}${source}: ${first ? describeIssue(first) : 'unknown failure'}`,
  ];
  if (first?.evidence) {
    lines.push('  equivocation evidence (two checkpoints signed by the trail key):');
    lines.push(`    ${JSON.stringify(first.evidence.first)}`);
    lines.push(`    ${JSON.stringify(first.evidence.second)}`);
  }
  if (report.issueCount > 1) {
    const counts = new Map<string, number>();
    for (const issue of report.issues.slice(1)) counts.set(issue.reason, (counts.get(issue.reason) ?? 0) + 1);
    const listed = [...counts].map(([reason, count]) => `${reason} ×${count}`).join(', ');
    lines.push(`  and ${n(report.issueCount - 1)} more problem(s)${listed ? `: ${listed}` : ''}`);
  }
  return lines;
}

function describeIssue(issue: TrailIssue): string {
  const where: string[] = [];
  if (issue.line !== undefined) where.push(`line ${issue.line}`);
  if (issue.position !== undefined) where.push(`position ${issue.position}`);
  const detail: string[] = [];
  if (issue.index !== undefined) detail.push(`trail index ${issue.index}`);
  if (issue.stream !== undefined) detail.push(`${issue.stream}@${issue.revision}`);
  const at = where.length > 0 ? ` at ${where.join(', ')}` : '';
  const about = detail.length > 0 ? ` (${detail.join(', ')})` : '';
  return `${issue.reason}${at}${about}: ${issue.message}`;
}

const BAR_WIDTH = 30;

/** `[#########.....]  42%` */
function bar(fraction: number): string {
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

function progressPrinter(deps: AuditDeps) {
  let shown = false;
  return {
    update: deps.progress
      ? (progress: VerifyProgress) => {
          shown = true;
          const eta = progress.etaSeconds === undefined ? '?' : `${Math.ceil(progress.etaSeconds)}s`;
          deps.progress!(
            `\rverify ${bar(progress.fraction)}  ` +
              `${progress.trailEvents.toLocaleString('en-US')} trail events  ` +
              `${progress.checkpoints.toLocaleString('en-US')} checkpoints  ` +
              `${Math.round(progress.eventsPerSecond).toLocaleString('en-US')}/s  ETA ${eta}`,
          );
        }
      : undefined,
    done() {
      if (shown) deps.progress?.('\n');
    },
  };
}

async function exportTrail(args: readonly string[], deps: AuditDeps): Promise<number> {
  const { positional } = parseFlags(args, [], []);
  const [path, ...extra] = positional;
  if (path === undefined || extra.length > 0) throw new UsageError('usage: bzzz audit export <path>');
  const { store, identity } = deps.open();
  let shown = false;
  const result = await exportBundle({
    store,
    trail: identity.nodeId,
    publicKey: identity.publicKey,
    path,
    ...(deps.progress
      ? {
          onProgress: (progress: { position: bigint; head: bigint; events: number; checkpoints: number }) => {
            shown = true;
            const fraction =
              progress.head > 0n
                ? Math.min(1, Number((progress.position * 1000n) / progress.head) / 1000)
                : 1;
            deps.progress!(
              `\rexport ${bar(fraction)}  ${progress.events.toLocaleString('en-US')} events  ` +
                `${progress.checkpoints.toLocaleString('en-US')} checkpoints`,
            );
          },
        }
      : {}),
  });
  if (shown) deps.progress?.('\n');
  deps.out(
    `bzzz: exported the trail of ${identity.nodeId} to ${path}: ${result.events} events, ` +
      `${result.checkpoints} checkpoints, ${result.bytes} bytes`,
  );
  return 0;
}

async function proof(args: readonly string[], deps: AuditDeps): Promise<number> {
  const { positional } = parseFlags(args, [], []);
  const [stream, revisionText, ...extra] = positional;
  if (stream === undefined || revisionText === undefined || extra.length > 0) {
    throw new UsageError('usage: bzzz audit proof <stream> <revision>');
  }
  if (!/^\d+$/.test(revisionText) || !Number.isSafeInteger(Number(revisionText))) {
    throw new UsageError(`revision "${revisionText}" is not a non-negative integer`);
  }
  const { store, identity, auditDbPath: path } = deps.open();
  const db = TrailDb.openExisting(path, identity.nodeId);
  if (!db) {
    deps.err('bzzz audit proof: this node has no audit database yet (the trail writer has not run)');
    return 1;
  }
  try {
    const document = await proveInclusion({
      store,
      db,
      trail: identity.nodeId,
      publicKey: identity.publicKey,
      stream,
      revision: Number(revisionText),
    });
    for (const line of JSON.stringify(document, null, 2).split('\n')) deps.out(line);
    return 0;
  } finally {
    db.close();
  }
}

async function checkpoint(args: readonly string[], deps: AuditDeps): Promise<number> {
  const { positional } = parseFlags(args, [], []);
  if (positional.length > 0) throw new UsageError('usage: bzzz audit checkpoint');
  const { store, identity, auditDbPath: path } = deps.open();
  const db = TrailDb.open(path, identity.nodeId);
  try {
    const writer = new TrailWriter({ store, identity, db, checkpointIntervalMs: 0 });
    const before = (await latestCheckpoint(store, identity.nodeId, identity.publicKey))?.checkpoint.size;
    await writer.start();
    let signed;
    try {
      signed = await writer.stop();
    } catch (error) {
      if (error instanceof BzzzError) {
        deps.err(`bzzz audit checkpoint: ${error.message}`);
        return 1;
      }
      throw error;
    }
    if (!signed) deps.out('bzzz: the trail is empty: nothing to sign');
    else if (signed.size === before)
      deps.out(`bzzz: the trail has not grown since the checkpoint of size ${signed.size}`);
    else deps.out(`bzzz: signed checkpoint of size ${signed.size}, root ${signed.root}, at ${signed.time}`);
    return 0;
  } finally {
    db.close();
  }
}
