import { McpServer, type McpServerOptions } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, Implementation } from '@modelcontextprotocol/sdk/types.js';
import { toolFailure } from './tool-result.js';

const INPUT_ERROR = /^(?:MCP error -\d+: )?Input validation error: (.*)$/s;

/** The SDK's private output check (McpServer.validateToolOutput), as it is called. */
type ValidateToolOutput = (tool: unknown, result: unknown, toolName: string) => Promise<void>;

/**
 * McpServer whose failed calls all carry the seed's error shape. The SDK validates tool arguments
 * against the input schema before our handler runs and reports a failure as plain text; here it
 * becomes INVALID_PARAMETERS with the validation issues as details.
 *
 * The SDK also checks every structured result against the tool's output schema. Tools whose results
 * the compiler already holds to that schema (built as `z.infer` of it) can skip the check at run time
 * with {@link typedOutput}: on the hot tools it costs as much as the work (every field of every
 * lookup match, again on each call); the tests check their results against the schemas instead.
 */
export class BzzzMcpServer extends McpServer {
  readonly #typedOutputs = new Set<string>();

  constructor(info: Implementation, options?: McpServerOptions) {
    super(info, options);
    // The SDK keeps these methods private; every tools/call goes through them.
    const self = this as unknown as {
      createToolError(message: string): CallToolResult;
      validateToolOutput: ValidateToolOutput;
    };
    self.createToolError = (message: string) => {
      const input = INPUT_ERROR.exec(message);
      if (input) return toolFailure('INVALID_PARAMETERS', input[1]!.trim(), { issues: input[1]!.trim() });
      if (message.includes('Output validation error')) return toolFailure('INTERNAL_ERROR', message);
      return toolFailure('INVALID_PARAMETERS', message);
    };
    const validateToolOutput = self.validateToolOutput.bind(this);
    self.validateToolOutput = (tool, result, toolName) =>
      this.#typedOutputs.has(toolName) ? Promise.resolve() : validateToolOutput(tool, result, toolName);
  }

  /** The tool's structured results are typed as its output schema: no run-time check of them. */
  typedOutput(toolName: string): void {
    this.#typedOutputs.add(toolName);
  }
}

/** Marks a tool's output as compile-time checked when the server is a {@link BzzzMcpServer}. */
export function typedOutput(server: McpServer, toolName: string): void {
  if (server instanceof BzzzMcpServer) server.typedOutput(toolName);
}
