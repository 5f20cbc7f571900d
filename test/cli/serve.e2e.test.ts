import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_FILE } from '../../src/identity/node-identity.js';
import { startBzzz } from '../support/bzzz-process.js';

describe('bzzz serve (end to end, built bin)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-serve-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens the embedded store, says where, and closes cleanly on SIGTERM', async () => {
    const path = join(dir, 'nested', 'bzzz.db');
    const bzzz = startBzzz(['serve'], { BZZZ_STORE: `sqlite:${path}` });
    await bzzz.waitForOutput(/serving, embedded store at/);
    expect(bzzz.stdout()).toContain(path);
    expect(bzzz.stdout()).toMatch(/node 12D3KooW\w+/);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(dir, 'nested', IDENTITY_FILE))).toBe(true);
    bzzz.child.kill('SIGTERM');
    expect(await bzzz.exited).toBe(0);
    expect(bzzz.stdout()).toContain('SIGTERM received, store closed');
  });

  it('stops with one clear line and exit code 2 on a bad BZZZ_STORE', async () => {
    const bzzz = startBzzz(['serve'], { BZZZ_STORE: 'mysql://db' });
    expect(await bzzz.exited).toBe(2);
    const lines = bzzz.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^bzzz: BZZZ_STORE="mysql:\/\/db" is not valid: unknown scheme "mysql:"; accepted: sqlite:/,
    );
  });

  it('rejects an unknown command with the usage text', async () => {
    const bzzz = startBzzz(['fly'], {});
    expect(await bzzz.exited).toBe(2);
    expect(bzzz.stderr()).toContain('unknown command "fly"');
  });
});
