import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES, priceOf, worstCaseCost } from '../../src/llm/prices.js';
import { redact, Secret } from '../../src/llm/redact.js';
import { backoffMs, retryAfterMs } from '../../src/llm/retry-policy.js';
import { DEFAULT_ROLE_PROMPTS, systemPromptFor } from '../../src/llm/role-prompts.js';
import { estimatePromptTokens, taskPrompt } from '../../src/llm/task-prompts.js';
import { usageOfResponse } from '../../src/llm/usage.js';

describe('prices and cost', () => {
  it('prices dated snapshots as their base model, and unknown models as unknown', () => {
    expect(priceOf(DEFAULT_PRICES, 'gpt-4o-2024-08-06')).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(priceOf(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf(DEFAULT_PRICES, 'gpt-4o-mini-large')).toBeUndefined();
    expect(priceOf(DEFAULT_PRICES, 'toString')).toBeUndefined();
  });

  it('counts cached prompt tokens at the cached price and reasoning tokens as output', () => {
    const gpt5 = DEFAULT_PRICES['gpt-5']!;
    // 8000 uncached × 1.25 + 2000 cached × 0.125 + 3000 completion (of which 2000 reasoning) × 10
    expect(
      costOf(gpt5, {
        prompt_tokens: 10_000,
        cached_tokens: 2000,
        completion_tokens: 3000,
        reasoning_tokens: 2000,
      }),
    ).toBe(0.04025);
    // A server that reports reasoning apart from the completion: both are output.
    expect(
      costOf(gpt5, { prompt_tokens: 0, cached_tokens: 0, completion_tokens: 100, reasoning_tokens: 900 }),
    ).toBe(0.01);
    expect(worstCaseCost(gpt5, 1000, 4000)).toBe(0.04125);
  });

  it('reads usage with its details, and none when the server sent none', () => {
    expect(
      usageOfResponse({
        usage: {
          prompt_tokens: 10,
          completion_tokens: 5,
          prompt_tokens_details: { cached_tokens: 4 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      }),
    ).toEqual({ prompt_tokens: 10, cached_tokens: 4, completion_tokens: 5, reasoning_tokens: 2 });
    expect(usageOfResponse({ usage: { prompt_tokens: 10, completion_tokens: 5 } })).toMatchObject({
      cached_tokens: 0,
    });
    expect(usageOfResponse({ choices: [] })).toBeUndefined();
    expect(usageOfResponse({ usage: { prompt_tokens: -1, completion_tokens: 5 } })).toBeUndefined();
  });
});

describe('task prompts', () => {
  const system = 'SYSTEM';

  it("builds each seed task type's messages from its input", () => {
    expect(
      taskPrompt(
        'chat_completion',
        '',
        { messages: [{ role: 'user', content: 'hi' }], maxTokens: 50 },
        system,
      ),
    ).toEqual({
      messages: [
        { role: 'system', content: 'SYSTEM' },
        { role: 'user', content: 'hi' },
      ],
      maxTokens: 50,
    });
    expect(taskPrompt('chat_completion', 'Say hello', {}, system).messages[1]!.content).toBe('Say hello');
    const review = taskPrompt(
      'code_review',
      'PR 7',
      { code: 'x()', language: 'go', context: 'hot path' },
      system,
    );
    expect(review.messages[1]!.content).toMatch(
      /^Task: PR 7\n\nReview this go code[\s\S]*hot path[\s\S]*```go\nx\(\)\n```$/,
    );
    const docs = taskPrompt(
      'documentation',
      '',
      { content: 'API', document_type: 'a tutorial', audience: 'beginners' },
      system,
    );
    expect(docs.messages[1]!.content).toContain('Write a tutorial for beginners');
    const arch = taskPrompt(
      'architecture_analysis',
      '',
      { systemDescription: 'S', requirements: 'R', constraints: 'C', model: 'gpt-4.1', temperature: 0 },
      system,
    );
    expect(arch).toMatchObject({ model: 'gpt-4.1', temperature: 0 });
    expect(arch.messages[1]!.content).toContain('System:\nS\n\nRequirements:\nR\n\nConstraints:\nC');
    const custom = taskPrompt('translation', 'to French', { text: 'hello' }, system);
    expect(custom.messages[1]!.content).toContain('Task type: translation');
    expect(custom.messages[1]!.content).toContain('"text": "hello"');
  });

  it.each([
    ['chat_completion', {}, /messages, a prompt or a description/],
    ['chat_completion', { messages: [{ role: 'robot', content: 'x' }] }, /messages\.0\.role/],
    ['code_review', { language: 'go' }, /code/],
    ['documentation', { audience: 'x' }, /content/],
    ['architecture_analysis', { requirements: 'x' }, /systemDescription/],
    ['chat_completion', { prompt: 'x', temperature: 5 }, /temperature/],
  ])('refuses a bad %s input %j as INVALID_PARAMETERS', (type, input, message) => {
    expect(() => taskPrompt(type, '', input, system)).toThrow(message);
    try {
      taskPrompt(type, '', input, system);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_PARAMETERS' });
    }
  });

  it('estimates prompt tokens on the high side', () => {
    const english = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    // About 200 real tokens; the estimate must not be below.
    expect(estimatePromptTokens([{ role: 'user', content: english }])).toBeGreaterThan(400);
  });

  it("takes the agent's prompt, else its role's, else a generic one", () => {
    expect(systemPromptFor(DEFAULT_ROLE_PROMPTS, 'tester', 'Mine')).toBe('Mine');
    expect(systemPromptFor(DEFAULT_ROLE_PROMPTS, 'tester', null)).toBe(DEFAULT_ROLE_PROMPTS.tester);
    expect(systemPromptFor(DEFAULT_ROLE_PROMPTS, 'bard', null)).toContain('Your role is bard');
  });
});

describe('retry timing and redaction', () => {
  it('reads retry-after-ms, Retry-After seconds and dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('backs off exponentially with jitter', () => {
    expect(backoffMs(1, 100, () => 0)).toBe(50);
    expect(backoffMs(3, 100, () => 1)).toBe(400);
  });

  it('redacts given secrets, bearer tokens and sk- keys', () => {
    const key = new Secret('my-very-secret-key');
    expect(redact('sent my-very-secret-key twice: my-very-secret-key', [key])).toBe(
      'sent [redacted] twice: [redacted]',
    );
    expect(redact('Authorization: Bearer abcdefghijkl')).toBe('Authorization: [redacted]');
    expect(redact('Incorrect API key provided: sk-proj-abc123def456')).toBe(
      'Incorrect API key provided: [redacted]',
    );
    expect(JSON.stringify({ key })).toBe('{"key":"[redacted]"}');
  });
});
