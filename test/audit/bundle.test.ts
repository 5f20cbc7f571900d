import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportBundle, verifyBundle } from '../../src/audit/bundle.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import { independentVerify } from './independent-verifier.js';
import { TrailFixture } from './trail-fixture.js';

type Line = Record<string, unknown>;

describe('audit bundles', () => {
  let fixture: TrailFixture;
  let path: string;
  let lines: Line[];

  const write = (records: readonly Line[], name = 'tampered.jsonl') => {
    const target = join(fixture.dir, name);
    writeFileSync(target, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return target;
  };
  const eventLines = () =>
    lines.map((line, i) => ({ line, number: i + 1 })).filter(({ line }) => line.kind === 'event');
  const rewriteEvent = (line: Line, edit: (text: string) => string, fixLeaf: boolean): Line => {
    const bytes = Buffer.from(edit(Buffer.from(line.event as string, 'base64').toString('utf8')));
    return {
      ...line,
      event: bytes.toString('base64'),
      ...(fixLeaf ? { leaf: Buffer.from(leafHash(bytes)).toString('hex') } : {}),
    };
  };

  beforeEach(async () => {
    fixture = new TrailFixture();
    await fixture.filledTrail(30, 10);
    path = join(fixture.dir, 'trail.jsonl');
    const result = await exportBundle({
      store: fixture.store,
      trail: fixture.trail,
      publicKey: fixture.identity.publicKey,
      path,
    });
    expect(result).toMatchObject({ events: 30, checkpoints: 3 });
    lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((text) => JSON.parse(text) as Line);
  });
  afterEach(() => fixture.dispose());

  it('exports header, events and checkpoints in log order, and an end line', () => {
    expect(lines[0]).toMatchObject({ format: 'bzzz-audit-bundle', version: 1, trail: fixture.trail });
    expect(lines.at(-1)).toEqual({ kind: 'end', events: 30, checkpoints: 3 });
    expect(lines.map((l) => l.kind).filter((k) => k === 'checkpoint')).toHaveLength(3);
    expect(eventLines().map(({ line }) => line.index)).toEqual([...Array(30).keys()]);
  });

  it('verifies offline, with bzzz and with an independent verifier written from the docs', async () => {
    // The store is gone: only the file is read.
    await fixture.store.close();
    const report = await verifyBundle(path);
    expect(report).toMatchObject({
      ok: true,
      trailEvents: 30,
      validCheckpoints: 3,
      uncovered: 0,
      issueCount: 0,
    });
    const independent = independentVerify(readFileSync(path, 'utf8'));
    expect(independent).toEqual({ ok: true, events: 30, root: report.root });
  });

  it('names an edited event whose leaf hint was left: leaf-mismatch at its line', async () => {
    const { line, number } = eventLines()[12]!;
    const tampered = [...lines];
    tampered[number - 1] = rewriteEvent(line, (text) => text.replace('"type":"', '"type":"X'), false);
    const target = write(tampered);
    const report = await verifyBundle(target);
    expect(report.issues[0]).toMatchObject({ reason: 'leaf-mismatch', line: number, index: 12 });
    expect(independentVerify(readFileSync(target, 'utf8')).ok).toBe(false);
  });

  it('names an edited event with a fixed-up leaf at the first checkpoint covering it: root-mismatch', async () => {
    const { line, number } = eventLines()[12]!;
    const tampered = [...lines];
    tampered[number - 1] = rewriteEvent(line, (text) => text.replace('"type":"', '"type":"X'), true);
    const target = write(tampered);
    const report = await verifyBundle(target);
    // The first checkpoint line that covers trail index 12 (the writer may sign a smaller one after it).
    const covering =
      lines.findIndex(
        (l, i) => i > number && l.kind === 'checkpoint' && (l.checkpoint as { size: number }).size > 12,
      ) + 1;
    expect(report.issues[0]).toMatchObject({ reason: 'root-mismatch', line: covering });
    expect(independentVerify(readFileSync(target, 'utf8')).ok).toBe(false);
  });

  it('names a dropped event line, swapped lines, a truncated file, a forged key and a forged signature', async () => {
    const events = eventLines();
    const dropped = lines.filter((_, i) => i !== events[7]!.number - 1);
    expect((await verifyBundle(write(dropped))).issues[0]).toMatchObject({ reason: 'order', index: 7 });

    const swapped = [...lines];
    swapped[events[3]!.number - 1] = lines[events[4]!.number - 1]!;
    swapped[events[4]!.number - 1] = lines[events[3]!.number - 1]!;
    expect((await verifyBundle(write(swapped))).issues[0]).toMatchObject({
      reason: 'order',
      line: events[3]!.number,
    });

    const truncated = lines.slice(0, -1);
    const report = await verifyBundle(write(truncated));
    expect(report.issues.map((i) => i.reason)).toEqual(['bad-bundle']);
    expect(report.issues[0]!.message).toMatch(/truncated/);

    const otherKey = Buffer.alloc(32, 7).toString('base64');
    const forgedKey = [{ ...lines[0], public_key: otherKey }, ...lines.slice(1)];
    expect((await verifyBundle(write(forgedKey))).issues[0]).toMatchObject({ reason: 'bad-bundle', line: 1 });

    const checkpointAt = lines.findIndex((l) => l.kind === 'checkpoint');
    const checkpoint = lines[checkpointAt]!.checkpoint as Record<string, unknown>;
    const forgedSignature = [...lines];
    forgedSignature[checkpointAt] = { ...lines[checkpointAt], checkpoint: { ...checkpoint, size: 9 } };
    for (const tampered of [dropped, swapped, truncated, forgedKey, forgedSignature]) {
      expect(independentVerify(readFileSync(write(tampered), 'utf8')).ok).toBe(false);
    }
    expect((await verifyBundle(write(forgedSignature))).issues[0]).toMatchObject({
      reason: 'bad-signature',
      line: checkpointAt + 1,
    });
  });

  it('verifies the worked example of docs/audit-bundle.md', async () => {
    const doc = readFileSync(new URL('../../docs/audit-bundle.md', import.meta.url), 'utf8');
    const block = /```jsonl\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const target = join(fixture.dir, 'example.jsonl');
    writeFileSync(target, block!);
    const report = await verifyBundle(target);
    expect(report).toMatchObject({ ok: true, trailEvents: 2, validCheckpoints: 1 });
    expect(report.root).toBe('72985525ad86839311902ef6b572c6a57299452a81815ce0a9c294592db14a4c');
    expect(independentVerify(block!)).toMatchObject({ ok: true, events: 2 });
  });
});
