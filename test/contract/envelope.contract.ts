import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import type { ContractContext } from './harness.js';

export function envelopeContract(t: ContractContext, nodeId: string): void {
  describe('event envelope', () => {
    it('records id, stream, revision, position, type, data, metadata and recorded time', async () => {
      const stream = t.stream();
      const id = randomUUID();
      const before = Date.now();
      const { position } = await t.store.append(stream, [
        { id, type: 'AgentAnnounced', data: { role: 'tester' } },
      ]);
      const [recorded] = await t.store.readStream(stream);
      expect(recorded).toMatchObject({
        id,
        stream,
        revision: 0,
        position,
        type: 'AgentAnnounced',
        data: { role: 'tester' },
      });
      expect(recorded?.metadata).toEqual({
        correlationId: id,
        causationId: id,
        author: nodeId,
        occurredAt: expect.any(String),
        schemaVersion: 1,
      });
      const recordedAt = Date.parse(recorded?.recordedAt ?? '');
      expect(recordedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(recordedAt).toISOString()).toBe(recorded?.recordedAt);
    });

    it('keeps the metadata a writer gives, custom keys included', async () => {
      const stream = t.stream();
      const metadata = {
        correlationId: 'corr-1',
        causationId: 'cause-1',
        author: 'another-node',
        occurredAt: '2026-01-02T03:04:05.000Z',
        schemaVersion: 3,
        machineVersion: 'agent@2',
      };
      await t.store.append(stream, [{ type: 'Custom', data: { a: [1, 'b', null, true] }, metadata }]);
      const [recorded] = await t.store.readStream(stream);
      expect(recorded?.metadata).toEqual(metadata);
      expect(recorded?.data).toEqual({ a: [1, 'b', null, true] });
    });

    it('gives the same canonical bytes after reading back, whatever the key order written', async () => {
      const stream = t.stream();
      const data = { zeta: 1, alpha: { y: 'é', x: [3, 2, 1] }, mid: null };
      await t.store.append(stream, [{ type: 'Ordered', data }]);
      const [recorded] = await t.store.readStream(stream);
      const [again] = await (await t.fixture.open()).readStream(stream);
      expect(recorded && again).toBeTruthy();
      const bytes = canonicalEventBytes(recorded!);
      expect(Buffer.from(canonicalEventBytes(again!)).equals(Buffer.from(bytes))).toBe(true);
      const text = new TextDecoder().decode(bytes);
      expect(text).toContain('"data":{"alpha":{"x":[3,2,1],"y":"é"},"mid":null,"zeta":1}');
      expect(text.startsWith('{"data":')).toBe(true);
    });
  });
}
