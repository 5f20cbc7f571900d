import { McpServer, type McpServerOptions } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, Implementation } from '@modelcontextprotocol/sdk/types.js';
import { toolFailure } from './tool-result.js';

const INPUT_ERROR = /^(?:MCP error -\d+: )?Input validation error: (.*)$/s;

/**
 * McpServer whose failed calls all carry the seed's error shape. The SDK validates tool arguments
 * against the input schema before our handler runs and reports a failure as plain text; here it
 * becomes INVALID_PARAMETERS with the validation issues as details.
 */
export class BzzzMcpServer extends McpServer {
  constructor(info: Implementation, options?: McpServerOptions) {
    super(info, options);
    // The SDK keeps this method private; it is the one place every failed tools/call goes through.
    const self = this as unknown as { createToolError(message: string): CallToolResult };
    self.createToolError = (message: string) => {
      const input = INPUT_ERROR.exec(message);
      if (input) return toolFailure('INVALID_PARAMETERS', input[1]!.trim(), { issues: input[1]!.trim() });
      if (message.includes('Output validation error')) return toolFailure('INTERNAL_ERROR', message);
      return toolFailure('INVALID_PARAMETERS', message);
    };
  }
}
