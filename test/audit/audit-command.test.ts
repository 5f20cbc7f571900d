import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_EVENT_TYPE, signCheckpoint } from '../../src/audit/checkpoint.js';
import { verifyInclusionProofDocument } from '../../src/audit/inclusion.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { checkpointStream, isTrailEvent } from '../../src/audit/trail.js';
import { runAudit, runAuditCommand } from '../../src/cli/audit-command.js';
import { loadConfig } from '../../src/config/config.js';
import { TrailFixture } from './trail-fixture.js';

describe('bzzz audit', () => {
  let fixture: TrailFixture;
  beforeEach(() => {
    fixture = new TrailFixture();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await fixture.dispose();
  });

  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const progress: string[] = [];
    const code = await runAudit(args, {
      open: () => ({ store: fixture.store, identity: fixture.identity, auditDbPath: fixture.auditPath }),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      progress: (text) => progress.push(text),
    });
    return { code, out, err, progress };
  };

  it('checkpoints, verifies, proves and exports a clean trail', async () => {
    await fixture.runLamps(20);
    const signed = await run(['checkpoint']);
    expect(signed).toMatchObject({ code: 0, err: [] });
    expect(signed.out[0]).toMatch(/^bzzz: signed checkpoint of size 20, root [0-9a-f]{64}, at /);
    expect((await run(['checkpoint'])).out[0]).toBe(
      'bzzz: the trail has not grown since the checkpoint of size 20',
    );

    const verified = await run(['verify']);
    expect(verified.code).toBe(0);
    expect(verified.out[0]).toMatch(/^audit OK: trail 12D3KooW\w+: 20 events, 1 checkpoint\(s\) verified/);
    expect(verified.out.join('\n')).toMatch(/20 event\(s\) matched the leaves recorded/);
    expect(verified.progress.at(-1)).toBe('\n');

    const proof = await run(['proof', 'lamp-l1', '2']);
    expect(proof.code).toBe(0);
    const document = JSON.parse(proof.out.join('\n'));
    expect(document).toMatchObject({ stream: 'lamp-l1', revision: 2, checkpoint: { size: 20 } });
    expect(verifyInclusionProofDocument(document, { trail: fixture.trail })).toEqual({ ok: true });

    const path = join(fixture.dir, 'bundle.jsonl');
    const exported = await run(['export', path]);
    expect(exported.out[0]).toMatch(/: 20 events, 1 checkpoints, \d+ bytes$/);
    const bundle = await run(['verify', '--bundle', path]);
    expect(bundle.code).toBe(0);
    expect(bundle.out[0]).toMatch(/^audit OK: .*\(bundle .*bundle\.jsonl\): 20 events/);
    const json = await run(['verify', '--bundle', path, '--json']);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ ok: true, trailEvents: 20 });
  });

  it('fails with the first failing position and why, exit 1', async () => {
    await fixture.filledTrail(12, 5);
    const target = (await fixture.store.readAll()).filter((e) => isTrailEvent(e, fixture.trail))[7]!;
    await fixture.editStoreFile((db) => {
      db.prepare("UPDATE events SET data = replace(data, 'user', 'usar') WHERE position = ?").run(
        target.position,
      );
    });
    const failed = await run(['verify']);
    expect(failed.code).toBe(1);
    expect(failed.err[0]).toBe(
      `audit FAILED: trail ${fixture.trail}: leaf-mismatch at position ${target.position} ` +
        `(trail index 7, ${target.stream}@${target.revision}): ${failed.err[0]!.split('): ')[1]}`,
    );
    expect(failed.err[1]).toMatch(/^ {2}and 2 more problem\(s\): root-mismatch ×2$/);
  });

  it('prints equivocation evidence', async () => {
    await fixture.filledTrail(8, 4);
    const fork = signCheckpoint(fixture.identity, {
      size: 4,
      root: leafHash(Buffer.from('fork')),
      time: new Date(),
    });
    await fixture.store.append(checkpointStream(fixture.trail), [
      { type: CHECKPOINT_EVENT_TYPE, data: { ...fork } },
    ]);
    const failed = await run(['verify']);
    expect(failed.code).toBe(1);
    expect(failed.err[0]).toMatch(/^audit FAILED: .*: equivocation at position \d+: /);
    expect(failed.err[1]).toMatch(/equivocation evidence/);
    expect(JSON.parse(failed.err[3]!.trim())).toEqual(fork);
  });

  it('answers proof requests it cannot serve with exit 1 and bad usage with exit 2', async () => {
    await fixture.runLamps(3);
    expect((await run(['proof', 'lamp-l0', '0'])).code).toBe(1);
    await run(['checkpoint']);
    expect((await run(['proof', 'lamp-l0', '5'])).err[0]).toMatch(/has no event at revision 5/);
    expect((await run(['proof', 'lamp-l0'])).code).toBe(2);
    expect((await run(['proof', 'lamp-l0', '-1'])).code).toBe(2);
    expect((await run(['verify', '--bundel', 'x'])).code).toBe(2);
    expect((await run(['export'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(['help'])).out[0]).toMatch(/^usage: bzzz audit/);
  });

  it('runs against the configured node (runAuditCommand)', async () => {
    await fixture.runLamps(4);
    const config = loadConfig({ BZZZ_STORE: `sqlite:${fixture.storePath}`, BZZZ_DATA_DIR: fixture.dir });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runAuditCommand(['checkpoint'], config)).toBe(0);
    expect(await runAuditCommand(['verify'], config)).toBe(0);
    expect(log.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(
      /audit OK: trail .*: 4 events, 1 checkpoint/,
    );
  });
});
