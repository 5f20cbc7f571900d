import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProofVerificationError } from '../../src/audit/proof-error.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/verify-proof.js';

// transparency-dev/merkle test data, copied in; see its README.md.
const VECTORS = fileURLToPath(new URL('../vectors/rfc6962/', import.meta.url));

// Pinned so that losing files (or a broken glob) fails loudly instead of testing less.
const EXPECTED_FILES = { inclusion: 98, consistency: 98 };

function jsonFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return jsonFilesUnder(path);
      return entry.name.endsWith('.json') ? [path] : [];
    })
    .sort();
}

// JSON.parse would round leafIdx 18446744073709551615 (uint64 "-1") to 2^64, so integers stay strings.
function parseVector(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8').replace(/("\w+":\s*)(\d+)/g, '$1"$2"');
  return JSON.parse(text) as Record<string, unknown>;
}

function uint64(value: unknown): bigint {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new Error(`not an integer: ${String(value)}`);
  return BigInt(value);
}

function bytes(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new Error(`not base64: ${String(value)}`);
  return Buffer.from(value, 'base64');
}

function hashes(value: unknown): Uint8Array[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw new Error(`not a proof: ${String(value)}`);
  return value.map(bytes);
}

function wantErr(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error(`wantErr is not a boolean: ${String(value)}`);
  return value;
}

function expectOutcome(verify: () => void, shouldFail: boolean): void {
  if (shouldFail) expect(verify).toThrow(ProofVerificationError);
  else expect(verify).not.toThrow();
}

const kinds = {
  inclusion: (v: Record<string, unknown>) => () =>
    verifyInclusion(uint64(v.leafIdx), uint64(v.treeSize), bytes(v.leafHash), hashes(v.proof), bytes(v.root)),
  consistency: (v: Record<string, unknown>) => () =>
    verifyConsistency(uint64(v.size1), uint64(v.size2), hashes(v.proof), bytes(v.root1), bytes(v.root2)),
};

for (const kind of ['inclusion', 'consistency'] as const) {
  describe(`RFC 6962 ${kind} vectors`, () => {
    const dir = join(VECTORS, kind);
    const files = jsonFilesUnder(dir);

    it('finds every vector file on disk', () => {
      const onDisk = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.json'),
      );
      expect(files.length).toBeGreaterThan(0);
      expect(files.length).toBe(onDisk.length);
      expect(files.length).toBe(EXPECTED_FILES[kind]);
      const verdicts = files.map((file) => wantErr(parseVector(file).wantErr));
      expect(verdicts).toContain(false);
      expect(verdicts).toContain(true);
    });

    it.each(files.map((file) => [relative(dir, file), file]))('%s', (_name, file) => {
      const vector = parseVector(file);
      expectOutcome(kinds[kind](vector), wantErr(vector.wantErr));
    });
  });
}
