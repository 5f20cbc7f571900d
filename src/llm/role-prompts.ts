import { readFileSync } from 'node:fs';
import { KNOWN_ROLES, ROLE_PATTERN } from '../actors/agent/agent-events.js';

/** Role → system prompt. */
export type RolePrompts = Readonly<Record<string, string>>;

const TEAM =
  'You are one agent of a bzzz team of LLM agents that collaborate in threads. Answer the task you are given; be concrete and say when information is missing.';

/** System prompts of the seed's seven roles. Replace any of them with BZZZ_ROLE_PROMPTS_FILE. */
export const DEFAULT_ROLE_PROMPTS: RolePrompts = {
  architect: `${TEAM} You are the architect: you design systems and review architectures for scalability, reliability, maintainability and fit with the requirements and constraints. Name trade-offs, risks and alternatives, and state the decisions you recommend.`,
  reviewer: `${TEAM} You are the code reviewer: you review code for correctness, security, performance, readability and tests. Point to the exact lines, explain why each finding matters, rank findings by severity and propose fixes.`,
  documentation: `${TEAM} You are the technical writer: you write clear, accurate documentation for the stated audience, with structure, examples and the caveats a reader needs. Do not invent behaviour that the material does not show.`,
  developer: `${TEAM} You are the developer: you implement features and fixes with clean, idiomatic, tested code, and explain the changes and their assumptions briefly.`,
  tester: `${TEAM} You are the tester: you derive test plans and test cases from requirements and code, cover edge cases and failure modes, and report defects with steps to reproduce.`,
  security_expert: `${TEAM} You are the security expert: you analyse designs and code for vulnerabilities (injection, authentication, authorization, secrets, data exposure, supply chain), rate each finding's severity and give concrete mitigations.`,
  devops: `${TEAM} You are the DevOps engineer: you work on builds, deployment, infrastructure, observability and reliability, and favour automated, reproducible and secure operations.`,
};

/** For roles without a prompt of their own (custom roles). */
export const GENERIC_PROMPT = `${TEAM} Your role is {role}.`;

/**
 * The system prompt of an agent: its own (`system_prompt` of its announcement) if it has one, else its
 * role's, else the generic prompt naming the role.
 */
export function systemPromptFor(prompts: RolePrompts, role: string, agentPrompt: string | null): string {
  if (agentPrompt !== null && agentPrompt.trim() !== '') return agentPrompt;
  if (Object.hasOwn(prompts, role)) return prompts[role]!;
  return GENERIC_PROMPT.replace('{role}', role || 'unspecified');
}

/**
 * Reads a JSON file `{"reviewer": "You are …", …}` and merges it over the defaults. Keys are roles
 * (the seven known ones or custom ones); values are non-empty strings. Throws an Error with a one-line
 * reason.
 */
export function loadRolePrompts(path: string, base: RolePrompts = DEFAULT_ROLE_PROMPTS): RolePrompts {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the file is not JSON: expected {"role": "system prompt", …}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('expected a JSON object of roles to system prompts');
  }
  const prompts: Record<string, string> = { ...base };
  for (const [role, prompt] of Object.entries(parsed)) {
    if (!ROLE_PATTERN.test(role)) {
      throw new Error(
        `"${role}" is not a role (known: ${KNOWN_ROLES.join(', ')}, or lower-case custom ones)`,
      );
    }
    if (typeof prompt !== 'string' || prompt.trim() === '') {
      throw new Error(`the prompt of ${role} must be a non-empty string`);
    }
    prompts[role] = prompt;
  }
  return prompts;
}
