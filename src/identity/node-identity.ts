import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BzzzError } from '../errors.js';
import { base58btc } from './base58.js';

/** File, in the data directory, holding the node's private key in libp2p's protobuf encoding. */
export const IDENTITY_FILE = 'node-key.pb';

/**
 * A node's Ed25519 identity. `nodeId` is the libp2p peer id of the key (`12D3KooW…`), so the audit
 * trail, the event envelopes (`author`) and the network all name the node the same way.
 */
export interface NodeIdentity {
  nodeId: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

// libp2p's crypto.proto: KeyType Ed25519 = 1; PrivateKey.Data is seed ‖ public key (64 bytes).
const PROTOBUF_PRIVATE_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x40);
const PROTOBUF_PUBLIC_PREFIX = Uint8Array.of(0x08, 0x01, 0x12, 0x20);
// PKCS#8 DER header of an Ed25519 private key, followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Loads the node key from `dataDir`, creating it (mode 0600) on first start. */
export function loadOrCreateNodeIdentity(dataDir: string): NodeIdentity {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, IDENTITY_FILE);
  let encoded: Buffer;
  try {
    encoded = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    encoded = createKeyFile(path);
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return identityFromProtobuf(encoded, path);
}

function createKeyFile(path: string): Buffer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const encoded = Buffer.concat([PROTOBUF_PRIVATE_PREFIX, seed, raw]);
  // 'wx': never overwrite a key another process created a moment ago.
  writeFileSync(path, encoded, { mode: 0o600, flag: 'wx' });
  return encoded;
}

export function identityFromProtobuf(encoded: Uint8Array, source = 'key'): NodeIdentity {
  const prefix = encoded.subarray(0, 4);
  if (encoded.length !== 68 || !Buffer.from(prefix).equals(PROTOBUF_PRIVATE_PREFIX)) {
    throw new BzzzError(
      'IDENTITY_INVALID',
      `${source} is not an Ed25519 private key in libp2p protobuf form`,
    );
  }
  const seed = encoded.subarray(4, 36);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = new Uint8Array(
    Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x ?? '', 'base64url'),
  );
  if (!Buffer.from(encoded.subarray(36)).equals(publicKey)) {
    throw new BzzzError('IDENTITY_INVALID', `${source}: the public half does not match the private key`);
  }
  return {
    nodeId: peerIdOf(publicKey),
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** The libp2p peer id (identity multihash of the protobuf public key, base58btc) of an Ed25519 key. */
export function peerIdOf(publicKey: Uint8Array): string {
  const protobuf = Buffer.concat([PROTOBUF_PUBLIC_PREFIX, publicKey]);
  return base58btc(Buffer.concat([Uint8Array.of(0x00, protobuf.length), protobuf]));
}

/** Checks an Ed25519 signature made by `publicKey` (raw 32 bytes). */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key: KeyObject = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return verify(null, message, key, signature);
}
