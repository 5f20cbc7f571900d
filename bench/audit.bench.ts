import '../src/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendOverheadCase } from './audit/append-overhead-case.js';
import { verifyCase } from './audit/verify-case.js';
import { type Goal, type ResultRow, renderTable, writeJson } from './support/report.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/audit.json' },
  },
});

const VERIFY_EVENTS = args.quick ? 100_000 : 1_000_000;
/** Measured verifications, each alternating with the reference. */
const VERIFY_ROUNDS = args.quick ? 4 : 2;
/**
 * bench/store's concurrent-64 shape (64 writers, one stream each, one event per append), longer than
 * there and in more rounds: the difference measured is a fraction of a noisy whole.
 */
const APPEND_SPEC = {
  writers: 64,
  appends: args.quick ? 320 : 1280,
  eventsPerAppend: 1,
  streamsPerWriter: 1,
};
const APPEND_ROUNDS = 8;

const GOALS: Goal[] = [
  { case: 'verify', metric: 'throughput', min: 0.5 },
  { case: 'append-overhead', metric: 'throughput', min: 0.85 },
];

const dir = mkdtempSync(join(tmpdir(), 'bzzz-bench-audit-'));
// On every way out, errors included (but not fatal signals).
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const log = (line: string) => console.log(line);

console.log(
  `bzzz audit benchmark: trail verification and trail-writer overhead on the embedded store, node ${process.version}` +
    `${args.quick ? ', --quick' : ''}`,
);
const rows: ResultRow[] = [];
console.log(
  `running verify: ${VERIFY_EVENTS.toLocaleString('en-US')} trail events, full verification ` +
    `(recorded leaves compared) ${VERIFY_ROUNDS} times, alternating with raw SHA-256 of the same bytes`,
);
rows.push(...(await verifyCase({ dir, events: VERIFY_EVENTS, rounds: VERIFY_ROUNDS, log })));
console.log(
  `running append-overhead: ${APPEND_SPEC.writers} writers x ${APPEND_SPEC.appends} appends, ` +
    `in ${APPEND_ROUNDS} rounds alternating trail writer on / off`,
);
rows.push(...(await appendOverheadCase({ dir, spec: APPEND_SPEC, rounds: APPEND_ROUNDS, log })));

console.log(`\n${renderTable(rows, GOALS)}\n`);
console.log(
  [
    'verify throughput: trail events/s of verifyTrail (read $all, leaf per event from its canonical bytes, compared',
    '  with the recorded leaf, tree rebuilt, every checkpoint checked) vs createHash("sha256") of each event\'s',
    '  canonical bytes. store-scan: the bare $all read of the same log (no goal: the floor of any verification',
    '  through the store port). trail-build: the trail writer catching up on the whole log, checkpoints included.',
    'append-overhead: concurrent-64 appends/s with the trail writer on (until it has caught up) vs off.',
  ].join('\n'),
);
for (const goal of GOALS) {
  const row = rows.find((r) => r.case === goal.case && r.metric === goal.metric);
  const met = row !== undefined && row.ratio >= goal.min;
  console.log(
    `goal ${goal.case} ${goal.metric} ratio >= ${goal.min}: ${met ? 'met' : 'MISSED'} (${row?.ratio.toFixed(2) ?? 'no result'})`,
  );
}
writeJson(args.out, rows);
console.log(`wrote ${args.out}`);
