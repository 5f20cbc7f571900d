import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LLM_CONFIG, isLlmConfigured, loadLlmConfig } from '../../src/llm/llm-config.js';
import { DEFAULT_ROLE_PROMPTS } from '../../src/llm/role-prompts.js';

describe('LLM configuration', () => {
  it('has the seed defaults and is not configured without a key', () => {
    const config = loadLlmConfig({});
    expect(config).toMatchObject({
      baseUrl: 'https://api.openai.com/v1',
      defaultModel: 'gpt-5',
      maxTokens: 4000,
      temperature: 0.7,
      warningThreshold: 0.8,
      limits: { dailyUsd: 100, monthlyUsd: 1000, agentDailyUsd: 20, perTaskUsd: null },
    });
    expect(config.apiKey).toBeUndefined();
    expect(isLlmConfigured(config)).toBe(false);
    expect(Object.keys(config.prices).sort()).toEqual([
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-5',
      'gpt-5-mini',
    ]);
    expect(Object.keys(config.rolePrompts)).toHaveLength(7);
  });

  it('reads every variable, BZZZ_ names first, seed names as fallbacks', () => {
    const config = loadLlmConfig({
      BZZZ_OPENAI_BASE_URL: 'http://localhost:11434/v1/',
      OPENAI_API_KEY: 'from-openai-var',
      BZZZ_OPENAI_API_KEY: 'from-bzzz-var',
      OPENAI_MODEL: 'llama3.1',
      BZZZ_OPENAI_MAX_TOKENS: '512',
      BZZZ_OPENAI_TEMPERATURE: '0.2',
      BZZZ_OPENAI_TIMEOUT_MS: '1500',
      BZZZ_OPENAI_MAX_RETRIES: '0',
      DAILY_COST_LIMIT: '5.5',
      BZZZ_MONTHLY_COST_LIMIT: 'none',
      BZZZ_AGENT_DAILY_COST_LIMIT: '1',
      BZZZ_TASK_COST_LIMIT: '0.25',
      COST_WARNING_THRESHOLD: '0.9',
      BZZZ_PRICES: '{"llama3.1": {"input": 0, "output": 0}, "gpt-4o": null}',
    });
    expect(config).toMatchObject({
      baseUrl: 'http://localhost:11434/v1',
      defaultModel: 'llama3.1',
      maxTokens: 512,
      temperature: 0.2,
      timeoutMs: 1500,
      maxRetries: 0,
      warningThreshold: 0.9,
      limits: { dailyUsd: 5.5, monthlyUsd: null, agentDailyUsd: 1, perTaskUsd: 0.25 },
    });
    expect(config.apiKey?.reveal()).toBe('from-bzzz-var');
    expect(config.prices['llama3.1']).toEqual({ input: 0, cached_input: 0, output: 0 });
    expect(config.prices['gpt-4o']).toBeUndefined();
    expect(config.prices['gpt-5']).toEqual(DEFAULT_LLM_CONFIG.prices['gpt-5']);
  });

  it.each([
    ['BZZZ_OPENAI_BASE_URL', 'localhost:11434', /^BZZZ_OPENAI_BASE_URL="localhost:11434" is not valid: /],
    ['BZZZ_OPENAI_MAX_TOKENS', '0', /integer from 1/],
    ['BZZZ_OPENAI_TEMPERATURE', '3', /number from 0 to 2/],
    ['BZZZ_DAILY_COST_LIMIT', '-1', /amount in USD/],
    ['BZZZ_COST_WARNING_THRESHOLD', '80', /fraction/],
    ['BZZZ_PRICES', '{"m": {"input": -1, "output": 1}}', /m\.input must be a non-negative number/],
    ['BZZZ_PRICES', '[1]', /JSON object/],
    ['BZZZ_PRICES', '{"m": {"input": 1, "output": 1, "extra": 1}}', /unknown field extra/],
    ['BZZZ_ROLE_PROMPTS_FILE', '/nonexistent/prompts.json', /cannot read the file/],
  ])('refuses %s=%s with a one-line error', (name, value, message) => {
    let error: unknown;
    try {
      loadLlmConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ConfigError');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(new RegExp(`^${name}`));
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads editable role prompts from a JSON file over the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzzz-prompts-'));
    try {
      const path = join(dir, 'prompts.json');
      writeFileSync(
        path,
        JSON.stringify({ reviewer: 'Review like a hawk.', data_scientist: 'You analyse data.' }),
      );
      const config = loadLlmConfig({ BZZZ_ROLE_PROMPTS_FILE: path });
      expect(config.rolePrompts.reviewer).toBe('Review like a hawk.');
      expect(config.rolePrompts.data_scientist).toBe('You analyse data.');
      expect(config.rolePrompts.architect).toBe(DEFAULT_ROLE_PROMPTS.architect);
      writeFileSync(path, JSON.stringify({ Reviewer: 'x' }));
      expect(() => loadLlmConfig({ BZZZ_ROLE_PROMPTS_FILE: path })).toThrow(/"Reviewer" is not a role/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
