import { ConfigError, loadConfig } from '../config/config.js';
import { BzzzError } from '../errors.js';
import { serve } from './serve.js';

const USAGE = `usage: bzzz <command>

commands:
  serve     open the event store and run the node until SIGINT/SIGTERM
  help      show this text

configuration is read from the environment; see README.md.`;

/** The `bzzz` command. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help'] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(loadConfig());
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      default:
        console.error(`bzzz: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof BzzzError) {
      console.error(`bzzz: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
