import { ConfigError, loadConfig } from '../config/config.js';
import { BzzzError } from '../errors.js';
import { openCaughtUpReadModel } from '../node/bzzz-node.js';
import { type ListDeps, runAgents, runThreads } from './list-commands.js';
import { runMcpStdio } from './mcp-command.js';
import { runAuditCommand } from './audit-command.js';
import { runRebuild } from './rebuild-command.js';
import { runReplayCommand } from './replay-command.js';
import { runReport } from './report-command.js';
import { serve } from './serve.js';

const USAGE = `usage: bzzz <command>

commands:
  serve                          run the node (store, actors, projections, HTTP) until SIGINT/SIGTERM
                                 MCP at /mcp (Streamable HTTP) and /mcp/ws (WebSocket)
  mcp                            run the node as an MCP server over stdio (for desktop clients)
  agents [address]               list agents matching a bzzz:// address (default: all), best first
  threads [--status S] [--participant ID] [--project P]
                                 list conversation threads, latest activity first
  report cost [--by model|agent|day|month|thread|task] [--since ISO] [--until ISO]
                                 token usage and cost (bzzz report --help for all options)
  projections rebuild [name]     rebuild read models from the event log, with progress
  audit verify [--bundle PATH] [--json]
                                 verify this node's audit trail (or an exported bundle, offline); exit 1 on failure
  audit export PATH              write the trail as a portable bundle (docs/audit-bundle.md)
  audit proof STREAM REVISION    inclusion proof of an event against the latest checkpoint
  audit checkpoint               bring the trail up to date and sign a checkpoint now
  replay STREAM [--at REV | --at-time ISO] [--format text|json]
                                 an actor's events with its state after each, or its state at a point
  help                           show this text

agents, threads and report accept --format table|json|csv.
configuration is read from the environment; see README.md.`;

type ReadModelCommand = (args: readonly string[], deps: ListDeps) => number;

const READ_MODEL_COMMANDS: Record<string, ReadModelCommand> = {
  agents: runAgents,
  threads: runThreads,
  report: (args, deps) => runReport(args, deps),
};

/** The `bzzz` command. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help', ...args] = argv;
  try {
    if (command === 'serve') return await serve(loadConfig(), args);
    if (command === 'mcp') return await runMcpStdio(loadConfig(), args);
    if (command === 'projections') return await runRebuild(args, loadConfig());
    if (command === 'audit') return await runAuditCommand(args, loadConfig());
    if (command === 'replay') return await runReplayCommand(args, loadConfig());
    const readModelCommand = READ_MODEL_COMMANDS[command];
    if (readModelCommand) return await withReadModel(readModelCommand, args);
    if (command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return 0;
    }
    console.error(`bzzz: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof BzzzError) {
      console.error(`bzzz: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

/** Runs a listing or report on read models brought up to the head of the log first. */
async function withReadModel(command: ReadModelCommand, args: readonly string[]): Promise<number> {
  const { readModel, close } = await openCaughtUpReadModel(loadConfig());
  try {
    return command(args, {
      db: readModel,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    });
  } finally {
    await close();
  }
}
