import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLeafSink } from '../../src/audit/leaf-worker.js';
import { MerkleTree } from '../../src/audit/merkle-tree.js';
import { leafHash } from '../../src/audit/rfc6962-hash.js';
import type { LeafRecord } from '../../src/audit/leaf-runs.js';
import { TrailDb } from '../../src/audit/trail-db.js';
import { isBzzzError } from '../../src/errors.js';
import { canLowerThreads, ownThreadNice, threadNiceValues } from '../support/thread-nice.js';

const TRAIL = '12D3KooWTrailDbTest';

function records(from: number, count: number): LeafRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    index: from + i,
    eventId: randomUUID(),
    position: BigInt(1000 + 3 * (from + i)),
    stream: `s-${(from + i) % 3},odd "name"`,
    revision: Math.floor((from + i) / 3),
    leaf: leafHash(Buffer.from(`event ${from + i}`)),
  }));
}

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

const plain = (list: LeafRecord[]) => list.map((r) => ({ ...r, leaf: Buffer.from(r.leaf).toString('hex') }));

describe('audit database', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-trail-db-'));
    path = join(dir, 'audit.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back every leaf recorded, across runs of any size, by index, by page, by name and packed', () => {
    const db = TrailDb.open(path, TRAIL);
    const all = records(0, 40);
    db.record(all.slice(0, 1), 1000n);
    db.record(all.slice(1, 3));
    db.record(all.slice(3, 37), 1200n);
    db.record(all.slice(37), 1100n);
    expect(db.count).toBe(40);
    expect(db.followed).toBe(1200n);
    expect(plain([db.at(0)!, db.at(36)!, db.at(39)!])).toEqual(plain([all[0]!, all[36]!, all[39]!]));
    expect(db.at(40)).toBeUndefined();
    expect(plain(db.page(2, 36))).toEqual(plain(all.slice(2, 38)));
    expect(plain(db.page(38, 10))).toEqual(plain(all.slice(38)));
    const run = db.leafRun(1, 37);
    expect(run.positions).toEqual(all.slice(1, 38).map((r) => r.position));
    expect(run.leaves.toString('hex')).toBe(
      Buffer.concat(all.slice(1, 38).map((r) => r.leaf)).toString('hex'),
    );
    expect([...db.leafHashes(7)].map((h) => Buffer.from(h, 'latin1').toString('hex'))).toEqual(
      all.map((r) => Buffer.from(r.leaf).toString('hex')),
    );
    expect(plain([db.byStreamRevision(all[25]!.stream, all[25]!.revision)!])).toEqual(plain([all[25]!]));
    db.record(records(40, 2));
    expect(db.byStreamRevision(`s-${41 % 3},odd "name"`, 13)?.index).toBe(41);
    expect(db.byStreamRevision('nowhere', 0)).toBeUndefined();
    db.close();
  });

  it('takes a leaf recorded again as a no-op, and refuses another one there, or a gap', () => {
    const db = TrailDb.open(path, TRAIL);
    const all = records(0, 10);
    db.record(all.slice(0, 6));
    db.record(all.slice(4, 10));
    expect(plain(db.page(0, 10))).toEqual(plain(all));
    const other = { ...all[5]!, eventId: randomUUID() };
    expect(thrown(() => db.record([other]))).toSatisfy((e) => isBzzzError(e, 'AUDIT_DB_CONFLICT'));
    expect(thrown(() => db.record(records(12, 1)))).toSatisfy((e) => isBzzzError(e, 'AUDIT_DB_CONFLICT'));
    expect(db.count).toBe(10);
    db.close();
  });

  it('converts a schema 1 database (a row per leaf) on open, keeping every leaf', () => {
    const old = new Database(path);
    old.exec(`
      CREATE TABLE trail_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE trail_leaves (trail_index INTEGER PRIMARY KEY, event_id TEXT NOT NULL, position TEXT NOT NULL,
        stream TEXT NOT NULL, revision INTEGER NOT NULL, leaf_hash BLOB NOT NULL);
      CREATE INDEX trail_leaves_by_stream ON trail_leaves (stream, revision);`);
    old.prepare("INSERT INTO trail_meta VALUES ('trail', ?), ('followed', '1500')").run(TRAIL);
    const all = records(0, 25);
    const insert = old.prepare('INSERT INTO trail_leaves VALUES (?, ?, ?, ?, ?, ?)');
    for (const r of all) {
      insert.run(r.index, r.eventId, r.position.toString(), r.stream, r.revision, Buffer.from(r.leaf));
    }
    old.close();
    const db = TrailDb.open(path, TRAIL);
    expect(db.count).toBe(25);
    expect(db.followed).toBe(1500n);
    expect(plain(db.page(0, 100))).toEqual(plain(all));
    db.close();
    const reopened = new Database(path);
    const tables = reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    reopened.close();
    expect(tables).not.toContain('trail_leaves');
  });

  it('has the worker hash the events, record them as TrailDb does and give the nodes they complete', async () => {
    const db = TrailDb.open(path, TRAIL);
    // A tree with 5 leaves already: the worker continues its right edge.
    const tree = new MerkleTree(records(0, 5).map((r) => r.leaf));
    const reference = new MerkleTree(records(0, 5).map((r) => r.leaf));
    const sink = await openLeafSink(db, tree.frontier());
    // The last one is larger than the shared regions the worker starts with: they grow.
    const texts = [
      '{"a":1}',
      '{"b":"two"}',
      '{"c":[3]}',
      '{"d":"ü"}',
      '{"e":"x"}',
      `{"f":"${'y'.repeat(300_000)}"}`,
    ];
    const batch = (from: number, count: number) => {
      const chunks = texts.slice(from, from + count).map((text) => Buffer.from(text));
      const offsets = new Uint32Array(count + 1);
      chunks.forEach((chunk, i) => (offsets[i + 1] = offsets[i]! + chunk.length));
      return {
        firstIndex: from + 5,
        bytes: Buffer.concat(chunks),
        offsets,
        positions: chunks.map((_, i) => BigInt(10 + from + i)),
        ids: chunks.map((_, i) => `id-${from + i}${'é'.repeat(from + i)}`),
        streams: chunks.map((_, i) => `lamp-${i % 2 === 0 ? '1' : '😀,"odd"'}`),
        revisions: chunks.map((_, i) => from + i),
        followed: BigInt(9 + from + count),
      };
    };
    const extend = (leaves: Buffer, count: number, upper: Buffer[] | undefined, from: number) => {
      tree.appendComputed(leaves, count, upper!);
      for (const text of texts.slice(from, from + count)) reference.append(leafHash(Buffer.from(text)));
      expect(Buffer.from(tree.root()).toString('hex')).toBe(Buffer.from(reference.root()).toString('hex'));
    };
    try {
      db.record(records(0, 5));
      const first = await sink.submit(batch(0, 3));
      const expected = texts
        .slice(0, 3)
        .map((text) => Buffer.from(leafHash(Buffer.from(text))).toString('hex'));
      expect([0, 1, 2].map((i) => first.leaves.subarray(i * 32, i * 32 + 32).toString('hex'))).toEqual(
        expected,
      );
      expect(db.page(5, 10).map((r) => [r.index, r.eventId, r.position, r.stream, r.revision])).toEqual([
        [5, 'id-0', 10n, 'lamp-1', 0],
        [6, 'id-1é', 11n, 'lamp-😀,"odd"', 1],
        [7, 'id-2éé', 12n, 'lamp-1', 2],
      ]);
      expect(db.followed).toBe(12n);
      // The interior nodes it gives are the ones the tree would compute.
      extend(first.leaves, 3, first.upper, 0);
      // Another writer of the node recorded index 8 meanwhile, the same event: the worker records the rest.
      const same = batch(3, 3);
      db.record([
        {
          index: 8,
          eventId: same.ids[0]!,
          position: 13n,
          stream: same.streams[0]!,
          revision: 3,
          leaf: leafHash(Buffer.from(texts[3]!)),
        },
      ]);
      const second = await sink.submit(same);
      expect(db.count).toBe(11);
      expect(db.at(10)).toMatchObject({ eventId: 'id-5ééééé', position: 15n, revision: 5 });
      expect(Buffer.from(db.at(10)!.leaf).toString('hex')).toBe(
        Buffer.from(leafHash(Buffer.from(texts[5]!))).toString('hex'),
      );
      expect(db.followed).toBe(15n);
      extend(second.leaves, 3, second.upper, 3);
      expect(tree.consistencyProof(5).map((h) => Buffer.from(h).toString('hex'))).toEqual(
        reference.consistencyProof(5).map((h) => Buffer.from(h).toString('hex')),
      );
    } finally {
      await sink.close();
      db.close();
    }
  });

  it('has the worker refuse a batch that conflicts with what is recorded, recording none of it', async () => {
    const db = TrailDb.open(path, TRAIL);
    const sink = await openLeafSink(db, new MerkleTree().frontier());
    try {
      // Another writer of the node recorded another event as trail index 1.
      db.record(records(0, 2));
      const bytes = Buffer.from('{"a":1}{"b":2}{"c":3}');
      const batch = {
        firstIndex: 0,
        bytes,
        offsets: Uint32Array.of(0, 7, 14, 21),
        positions: [1n, 2n, 3n],
        ids: ['a', 'b', 'c'],
        streams: ['s', 's', 's'],
        revisions: [0, 1, 2],
        followed: 3n,
      };
      await expect(sink.submit(batch)).rejects.toSatisfy((error) => isBzzzError(error, 'AUDIT_DB_CONFLICT'));
      expect(db.count).toBe(2);
      expect(db.followed).toBeUndefined();
    } finally {
      await sink.close();
      db.close();
    }
  });

  // Linux, and a test process with room below it (the worker goes at most to nice 19).
  it.runIf(canLowerThreads)('runs the worker below the node’s priority, and only the worker', async () => {
    const own = ownThreadNice();
    const db = TrailDb.open(path, TRAIL);
    const sink = await openLeafSink(db, new MerkleTree().frontier());
    try {
      expect(threadNiceValues().filter((value) => value !== own)).toEqual([own + 10]);
    } finally {
      await sink.close();
      db.close();
    }
  });

  it('is for one trail only', () => {
    TrailDb.open(path, TRAIL).close();
    expect(thrown(() => TrailDb.open(path, 'another'))).toSatisfy((e) => isBzzzError(e, 'AUDIT_DB_MISMATCH'));
  });
});
