import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isBzzzError } from '../../src/errors.js';
import {
  IDENTITY_FILE,
  identityFromProtobuf,
  loadOrCreateNodeIdentity,
  verifySignature,
} from '../../src/identity/node-identity.js';

// libp2p peer-id spec test vector (libp2p/specs peer-ids.md): Ed25519 private key in protobuf form.
const SPEC_PRIVATE_KEY =
  '080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e';
const SPEC_PEER_ID = '12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq';

describe('node identity', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-identity-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('derives the libp2p peer id of the spec vector', () => {
    const identity = identityFromProtobuf(Buffer.from(SPEC_PRIVATE_KEY, 'hex'));
    expect(identity.nodeId).toBe(SPEC_PEER_ID);
    expect(Buffer.from(identity.publicKey).toString('hex')).toBe(SPEC_PRIVATE_KEY.slice(-64));
  });

  it('creates the key once with mode 0600 and loads the same identity afterwards', () => {
    const dir = tempDir();
    const first = loadOrCreateNodeIdentity(dir);
    expect(statSync(join(dir, IDENTITY_FILE)).mode & 0o777).toBe(0o600);
    const second = loadOrCreateNodeIdentity(dir);
    expect(second.nodeId).toBe(first.nodeId);
    expect(first.nodeId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
  });

  it('signs messages that verify with its public key, and only those', () => {
    const identity = loadOrCreateNodeIdentity(tempDir());
    const message = new TextEncoder().encode('checkpoint');
    const signature = identity.sign(message);
    expect(verifySignature(identity.publicKey, message, signature)).toBe(true);
    expect(verifySignature(identity.publicKey, new TextEncoder().encode('checkpoinT'), signature)).toBe(
      false,
    );
  });

  it('refuses a key file that is not an Ed25519 protobuf key', () => {
    const dir = tempDir();
    writeFileSync(join(dir, IDENTITY_FILE), 'not a key');
    expect(() => loadOrCreateNodeIdentity(dir)).toThrowError(/not an Ed25519 private key/);
    try {
      loadOrCreateNodeIdentity(dir);
    } catch (error) {
      expect(isBzzzError(error, 'IDENTITY_INVALID')).toBe(true);
    }
  });
});
