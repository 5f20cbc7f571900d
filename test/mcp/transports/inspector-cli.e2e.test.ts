import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BZZZ_BIN, startBzzz } from '../../support/bzzz-process.js';

const run = promisify(execFile);
const TOKEN = 'inspector-token-0123456789';

/**
 * The MCP Inspector's launcher (`@modelcontextprotocol/inspector`, run with --cli): from
 * MCP_INSPECTOR_BIN, or the package when it is installed. It is not a dependency of bzzz (it brings a
 * web UI, React and Vite along), so without either this suite is skipped.
 */
function findInspector(): string | undefined {
  const fromEnv = process.env.MCP_INSPECTOR_BIN;
  if (fromEnv) return fromEnv;
  try {
    const manifest = createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json');
    const launcher = join(dirname(manifest), 'clients/launcher/build/index.js');
    return existsSync(launcher) ? launcher : undefined;
  } catch {
    return undefined;
  }
}

const inspector = findInspector();

async function inspect(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [inspector!, '--cli', ...args], { timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe.skipIf(!inspector)('the MCP Inspector CLI drives bzzz as an outside client', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bzzz-inspector-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('over stdio (`bzzz mcp`): lists the tools, announces, and a later session looks the agent up', async () => {
    const server = [
      '-e',
      `BZZZ_STORE=sqlite:${join(dir, 'bzzz.db')}`,
      '--',
      process.execPath,
      BZZZ_BIN,
      'mcp',
    ];
    const listed = await inspect(['--method', 'tools/list', ...server]);
    const names = (listed.tools as { name: string }[]).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['bzzz_announce', 'bzzz_lookup', 'bzzz_get']));
    const announced = await inspect([
      '--method',
      'tools/call',
      '--tool-name',
      'bzzz_announce',
      '--tool-arg',
      'agent_id=inspector-1',
      '--tool-arg',
      'role=tester',
      ...server,
    ]);
    expect(announced).toMatchObject({ structuredContent: { success: true, created: true } });
    const found = await inspect([
      '--method',
      'tools/call',
      '--tool-name',
      'bzzz_lookup',
      '--tool-arg',
      'semantic_address=bzzz://*:tester@*',
      ...server,
    ]);
    expect(found).toMatchObject({ structuredContent: { count: 1, matches: [{ id: 'inspector-1' }] } });
  });

  it('over Streamable HTTP (`bzzz serve`), with the bearer token and refused without it', async () => {
    const bzzz = startBzzz(['serve', '--port', '0'], {
      BZZZ_STORE: `sqlite:${join(dir, 'bzzz.db')}`,
      BZZZ_TOKEN: TOKEN,
    });
    try {
      await bzzz.waitForOutput(/MCP at (http:\S+\/mcp) /);
      const url = /MCP at (http:\S+\/mcp) /.exec(bzzz.stdout())![1]!;
      const auth = ['--header', `Authorization: Bearer ${TOKEN}`];
      const announced = await inspect([
        url,
        '--transport',
        'http',
        ...auth,
        '--method',
        'tools/call',
        '--tool-name',
        'bzzz_announce',
        '--tool-arg',
        'agent_id=inspector-http',
        '--tool-arg',
        'role=reviewer',
      ]);
      expect(announced).toMatchObject({ structuredContent: { success: true } });
      const got = await inspect([
        url,
        '--transport',
        'http',
        ...auth,
        '--method',
        'tools/call',
        '--tool-name',
        'bzzz_get',
        '--tool-arg',
        'address=bzzz://inspector-http',
      ]);
      expect(got).toMatchObject({ structuredContent: { content: { agent_info: { role: 'reviewer' } } } });
      await expect(inspect([url, '--transport', 'http', '--method', 'tools/list'])).rejects.toThrow();
    } finally {
      bzzz.child.kill('SIGTERM');
    }
    expect(await bzzz.exited).toBe(0);
  });
});
