import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * A bundle verifier written from docs/audit-bundle.md alone, as a third party would: node:crypto and
 * nothing of bzzz. The tests run it next to the real one, so the document stays sufficient.
 */
export function independentVerify(
  text: string,
): { ok: true; events: number; root: string } | { ok: false; error: string } {
  try {
    return { ok: true, ...run(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** RFC 6962 MTH, straight from the definition. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** Canonical JSON (RFC 8785) for the values events hold. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const object = value as Record<string, unknown>;
  return `{${Object.keys(object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(object[key])}`)
    .join(',')}}`;
}

function run(text: string): { events: number; root: string } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = JSON.parse(lines[0]!);
  if (header.format !== 'bzzz-audit-bundle' || header.version !== 1) throw new Error('not a v1 bundle');
  const key = Buffer.from(header.public_key, 'base64');
  if (key.length !== 32) throw new Error('bad key');
  // Peer id: base58btc(0x00 0x24 ‖ 0x08 0x01 0x12 0x20 ‖ key).
  const peerId = base58(Buffer.concat([Buffer.from('002408011220', 'hex'), key]));
  if (peerId !== header.trail) throw new Error('the key does not name the trail');
  const publicKey = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key]),
    format: 'der',
    type: 'spki',
  });
  const leaves: Buffer[] = [];
  let checkpoints = 0;
  let ended = false;
  for (const [i, line] of lines.slice(1).entries()) {
    if (ended) throw new Error('line after the end line');
    const record = JSON.parse(line);
    if (record.kind === 'event') {
      const bytes = Buffer.from(record.event, 'base64');
      const event = JSON.parse(bytes.toString('utf8'));
      if (canonical(event) !== bytes.toString('utf8')) throw new Error(`line ${i + 2}: not canonical`);
      if (event.metadata?.author !== header.trail || String(event.stream).startsWith('audit-')) {
        throw new Error(`line ${i + 2}: not an event of the trail`);
      }
      if (record.index !== leaves.length)
        throw new Error(`line ${i + 2}: index ${record.index}, expected ${leaves.length}`);
      const leaf = sha256(Buffer.of(0), bytes);
      if (leaf.toString('hex') !== record.leaf) throw new Error(`line ${i + 2}: leaf mismatch`);
      leaves.push(leaf);
    } else if (record.kind === 'checkpoint') {
      checkpoints++;
      const c = record.checkpoint;
      if (c.trail !== header.trail || c.public_key !== header.public_key)
        throw new Error(`line ${i + 2}: other key`);
      const message = `bzzz-checkpoint-v1\n${JSON.stringify({ root: c.root, size: c.size, time: c.time, trail: c.trail })}`;
      if (!verify(null, Buffer.from(message), publicKey, Buffer.from(c.signature, 'base64'))) {
        throw new Error(`line ${i + 2}: bad signature`);
      }
      if (c.size > leaves.length) throw new Error(`line ${i + 2}: covers events not before it`);
      if (mth(leaves.slice(0, c.size)).toString('hex') !== c.root)
        throw new Error(`line ${i + 2}: root mismatch`);
    } else if (record.kind === 'end') {
      if (record.events !== leaves.length || record.checkpoints !== checkpoints)
        throw new Error('end counts differ');
      ended = true;
    } else {
      throw new Error(`line ${i + 2}: unknown kind`);
    }
  }
  if (!ended) throw new Error('truncated');
  return { events: leaves.length, root: mth(leaves).toString('hex') };
}
