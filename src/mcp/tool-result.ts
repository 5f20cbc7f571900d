import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isBzzzError } from '../errors.js';
import type { JsonObject } from '../events/json.js';

/** The seed's error response: `{success: false, error, code, details, timestamp}`. */
export interface ToolErrorBody extends JsonObject {
  success: false;
  error: string;
  code: string;
  details: JsonObject;
  timestamp: string;
}

/** A successful tool result: the structured answer, and the same as JSON text for clients that read text. */
export function toolSuccess(structured: JsonObject, summary?: string): CallToolResult {
  // Compact: the structured content carries the same answer, and large results are sent twice.
  const text = JSON.stringify(structured);
  return {
    content: [{ type: 'text', text: summary ? `${summary}\n\n${text}` : text }],
    structuredContent: structured,
  };
}

/**
 * A successful tool result whose text is a compact rendering of the answer instead of its JSON: for
 * tools called often with large answers (lookup) or on hot paths (post), where sending the answer
 * twice costs more than it is worth. Every field stays in the structured content.
 */
export function toolSuccessText(structured: JsonObject, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** A failed tool call as an `isError` result with the seed's error shape. */
export function toolFailure(
  code: string,
  message: string,
  details: JsonObject = {},
  now = Date.now(),
): CallToolResult {
  const body: ToolErrorBody = {
    success: false,
    error: message,
    code,
    details,
    timestamp: new Date(now).toISOString(),
  };
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body, isError: true };
}

/**
 * Maps anything a handler throws to a tool error. bzzz's own errors keep their code and details;
 * anything else is an internal error whose message is not shown (it may carry paths or secrets).
 */
export function errorResult(error: unknown, now = Date.now()): CallToolResult {
  if (isBzzzError(error)) return toolFailure(error.code, error.message, error.details, now);
  console.error('bzzz: unexpected error in a tool call:', error);
  return toolFailure('INTERNAL_ERROR', 'internal error while handling the call; see the server log', {}, now);
}

/** Runs a tool body, turning any failure into an `isError` result: a tool call never crashes the server. */
export async function runTool(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    return errorResult(error);
  }
}
