import { describe } from 'vitest';
import { appendContract } from './append.contract.js';
import { canonicalContract } from './canonical.contract.js';
import { envelopeContract } from './envelope.contract.js';
import { type StoreHarness, useContract } from './harness.js';
import { readsContract } from './reads.contract.js';
import { retentionContract } from './retention.contract.js';
import { subscriptionsContract } from './subscriptions.contract.js';
import { validationContract } from './validation.contract.js';

export type { StoreFixture, StoreHarness } from './harness.js';

/**
 * The EventStore contract: every adapter runs it (a *.contract.test.ts file per adapter calls this with
 * the adapter's harness). Tests keep to their own stream-name prefix, so the suite can also run
 * against a shared server.
 */
export function eventStoreContract(harness: StoreHarness): void {
  describe(`EventStore contract: ${harness.name}`, () => {
    const t = useContract(harness);
    appendContract(t);
    validationContract(t);
    envelopeContract(t, harness.nodeId);
    readsContract(t);
    subscriptionsContract(t);
    retentionContract(t, harness.supportsClock);
    canonicalContract(t, harness.nodeId);
  });
}
