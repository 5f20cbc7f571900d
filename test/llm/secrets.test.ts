import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JsonObject } from '../../src/events/json.js';
import { loadLlmConfig } from '../../src/llm/llm-config.js';
import { FAKE_KEY, type LlmFixture, startLlmFixture } from './llm-fixture.js';

/** The API key never reaches events, logs or error messages, whatever the server echoes back. */
describe('the API key stays secret', () => {
  let fixture: LlmFixture | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await fixture?.close();
    fixture = undefined;
  });

  it('is in no stored byte, log line or error after calls that succeed and fail', async () => {
    const printed: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...parts: unknown[]) => {
        printed.push(parts.map((part) => (typeof part === 'string' ? part : inspect(part))).join(' '));
      });
    }
    fixture = await startLlmFixture({ config: { timeoutMs: 300, maxRetries: 2 } });
    const f = fixture;
    f.double.enqueue(
      { type: 'completion', content: 'fine' },
      // Careless servers repeat the credentials they were sent.
      { type: 'echo-auth' },
      { type: 'error', status: 500, message: `upstream rejected Bearer ${FAKE_KEY}` },
      { type: 'error', status: 429, message: `slow down, ${FAKE_KEY}`, headers: { 'retry-after-ms': '10' } },
      { type: 'hang' },
      { type: 'error', status: 400, message: `key ${FAKE_KEY} may not use this model` },
    );
    await f.announce('a1');
    for (const [id, type, input] of [
      ['t1', 'chat_completion', { prompt: 'one' }],
      ['t2', 'chat_completion', { prompt: 'two' }],
      ['t3', 'chat_completion', { prompt: 'three' }],
      ['t4', 'code_review', { code: 'x', language: 'js' }],
    ] as const) {
      await f.assign('a1', id, type, input as JsonObject);
      await f.system.settled();
    }
    expect(f.double.count).toBe(6);
    expect(f.double.requests.every((request) => request.authorization === `Bearer ${FAKE_KEY}`)).toBe(true);

    const failures = (await f.store.readStream('agent-a1'))
      .filter((event) => event.type === 'TaskFailed')
      .map((event) => (event.data as JsonObject).reason as string);
    expect(failures).toHaveLength(3);
    expect(failures[0]).toContain('HTTP 401');
    expect(failures[0]).toContain('[redacted]');
    expect(failures[1]).toContain('no response within 300 ms (after 3 attempts)');
    expect(failures[2]).toContain('HTTP 400');

    const storeBytes = readdirSync(f.temp.dir)
      .map((name) => readFileSync(join(f.temp.dir, name)))
      .reduce((all, bytes) => Buffer.concat([all, bytes]), Buffer.alloc(0));
    expect(storeBytes.length).toBeGreaterThan(0);
    expect(storeBytes.includes(Buffer.from('[redacted]'))).toBe(true);
    expect(storeBytes.includes(Buffer.from(FAKE_KEY))).toBe(false);
    // Not even the distinctive middle of it.
    expect(storeBytes.includes(Buffer.from('FAKE-KEY-7f3c'))).toBe(false);
    // The retried 500 and 429 were logged, redacted.
    expect(f.logs.filter((line) => line.includes('HTTP 500') || line.includes('HTTP 429'))).toHaveLength(2);
    expect(f.logs.some((line) => line.includes('[redacted]'))).toBe(true);
    for (const line of [...f.logs, ...printed, ...failures]) expect(line).not.toContain('FAKE-KEY');

    expect(JSON.stringify(f.config)).not.toContain('FAKE-KEY');
    expect(inspect(f.config, { depth: 10 })).not.toContain('FAKE-KEY');
    expect(`${f.config.apiKey}`).toBe('[redacted]');
  });

  it('is not in the message of a bad key setting', () => {
    const bad = `${FAKE_KEY}\nsecond-line`;
    expect(() => loadLlmConfig({ OPENAI_API_KEY: bad })).toThrow(/^OPENAI_API_KEY is not valid/);
    try {
      loadLlmConfig({ BZZZ_OPENAI_API_KEY: bad });
    } catch (error) {
      expect(String(error)).not.toContain('FAKE-KEY');
    }
  });
});
