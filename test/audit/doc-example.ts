import type { RecordedEvent } from '../../src/events/types.js';

type ExampleEvent = Pick<RecordedEvent, 'id' | 'stream' | 'revision' | 'type' | 'data' | 'metadata'>;

/** The worked example of docs/audit-bundle.md: a key, two events, a checkpoint and the whole bundle. */

// libp2p peer-id spec test vector: Ed25519 private key in libp2p protobuf form, and its peer id.
export const SPEC_KEY = Buffer.from(
  '080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e',
  'hex',
);
export const TRAIL = '12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq';

export function exampleEvents(): ExampleEvent[] {
  const metadata = (id: string) => ({
    author: TRAIL,
    causationId: id,
    correlationId: id,
    occurredAt: '2026-01-01T00:00:00.000Z',
    schemaVersion: 1,
  });
  const first = '00000000-0000-4000-8000-000000000001';
  const second = '00000000-0000-4000-8000-000000000002';
  return [
    {
      id: first,
      stream: 'lamp-l1',
      revision: 0,
      type: 'LampInstalled',
      data: { room: 'hall' },
      metadata: metadata(first),
    },
    {
      id: second,
      stream: 'lamp-l1',
      revision: 1,
      type: 'LampPressed',
      data: { by: 'ada' },
      metadata: metadata(second),
    },
  ];
}
