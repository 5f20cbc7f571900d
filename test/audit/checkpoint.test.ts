import { describe, expect, it } from 'vitest';
import { checkCheckpoint, checkpointMessage, signCheckpoint } from '../../src/audit/checkpoint.js';
import { leafHash, nodeHash } from '../../src/audit/rfc6962-hash.js';
import { canonicalEventBytes } from '../../src/events/canonical-event.js';
import { generateKeyPairSync } from 'node:crypto';
import { identityFromProtobuf } from '../../src/identity/node-identity.js';
import { exampleEvents, SPEC_KEY, TRAIL } from './doc-example.js';

function otherIdentity() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return identityFromProtobuf(Buffer.concat([Buffer.from('08011240', 'hex'), seed, raw]));
}

describe('signed checkpoints', () => {
  const identity = identityFromProtobuf(SPEC_KEY);

  it('match the worked example of docs/audit-bundle.md byte for byte', () => {
    const [a, b] = exampleEvents().map((e) => leafHash(canonicalEventBytes(e)));
    expect(Buffer.from(a!).toString('hex')).toBe(
      '16a9bf8db5d8da62ece2f73e1c5bc5f4cb8cf9748b50e5ddfa4f2ba953ae5a48',
    );
    expect(Buffer.from(b!).toString('hex')).toBe(
      '513729655422b21b432aa2cb618336b27a11bd7f973ed48f8762bdf74b9c98af',
    );
    const root = nodeHash(a!, b!);
    const checkpoint = signCheckpoint(identity, { size: 2, root, time: '2026-01-01T00:01:00.000Z' });
    expect(checkpoint).toEqual({
      trail: TRAIL,
      size: 2,
      root: '72985525ad86839311902ef6b572c6a57299452a81815ce0a9c294592db14a4c',
      time: '2026-01-01T00:01:00.000Z',
      public_key: 'HtHo+uLEoUS4vo/UtHvz07NLhxw8rPYBDw5C1HT84n4=',
      signature: 'GIFBQMgmgfasvx3lUsvawFvdRRt8iKx6nUHyVWv0ODL/JgGsUmyQJLp+Oe38DTkN5kgUxFkIJwAfY9T7Bd63Ag==',
    });
    expect(Buffer.from(checkpointMessage(checkpoint)).toString()).toBe(
      'bzzz-checkpoint-v1\n{"root":"72985525ad86839311902ef6b572c6a57299452a81815ce0a9c294592db14a4c",' +
        `"size":2,"time":"2026-01-01T00:01:00.000Z","trail":"${TRAIL}"}`,
    );
    const check = checkCheckpoint(checkpoint, TRAIL, identity.publicKey);
    expect(check.ok).toBe(true);
  });

  it('reject any change of a signed field as bad-signature', () => {
    const checkpoint = signCheckpoint(identity, {
      size: 5,
      root: leafHash(Buffer.from('r')),
      time: new Date(),
    });
    expect(checkCheckpoint(checkpoint, TRAIL).ok).toBe(true);
    const changes = [
      { size: 6 },
      { root: Buffer.from(leafHash(Buffer.from('s'))).toString('hex') },
      { time: '2030-01-01T00:00:00.000Z' },
    ];
    for (const change of changes) {
      expect(checkCheckpoint({ ...checkpoint, ...change }, TRAIL)).toMatchObject({
        ok: false,
        reason: 'bad-signature',
      });
    }
  });

  it('reject a checkpoint signed with another key, whichever key it names', () => {
    const other = otherIdentity();
    const signed = signCheckpoint(other, { size: 1, root: leafHash(Buffer.from('r')), time: new Date() });
    expect(checkCheckpoint({ ...signed, trail: TRAIL }, TRAIL)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const borrowed = {
      ...signed,
      trail: TRAIL,
      public_key: Buffer.from(identity.publicKey).toString('base64'),
    };
    expect(checkCheckpoint(borrowed, TRAIL)).toMatchObject({ ok: false, reason: 'bad-signature' });
    // Its own trail accepts it, unless the verifier holds another key for it.
    expect(checkCheckpoint(signed, other.nodeId).ok).toBe(true);
    expect(checkCheckpoint(signed, other.nodeId, identity.publicKey).ok).toBe(false);
  });

  it('reject malformed checkpoints as bad-checkpoint', () => {
    const checkpoint = signCheckpoint(identity, {
      size: 5,
      root: leafHash(Buffer.from('r')),
      time: new Date(),
    });
    const malformed: unknown[] = [
      null,
      [],
      'checkpoint',
      { ...checkpoint, size: -1 },
      { ...checkpoint, size: 1.5 },
      { ...checkpoint, root: checkpoint.root.toUpperCase() },
      { ...checkpoint, root: 'abcd' },
      { ...checkpoint, time: 'yesterday' },
      { ...checkpoint, public_key: 'not base64!' },
      { ...checkpoint, signature: checkpoint.signature.slice(4) },
      { ...checkpoint, extra: 1 },
      { ...checkpoint, trail: 'someone-else' },
    ];
    for (const value of malformed) {
      expect(checkCheckpoint(value, TRAIL)).toMatchObject({ ok: false, reason: 'bad-checkpoint' });
    }
  });
});
