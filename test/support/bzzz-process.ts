import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `bzzz` command (npm test builds it first), as a user runs it. */
export const BZZZ_BIN = fileURLToPath(new URL('../../bin/bzzz.js', import.meta.url));

export interface BzzzProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout has matched `pattern` (rejects if the process exits first). */
  waitForOutput(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

export function startBzzz(args: string[], env: Record<string, string>): BzzzProcess {
  // No real API key from the developer's environment ever reaches a test process.
  const child = spawn(process.execPath, [BZZZ_BIN, ...args], {
    env: { ...process.env, OPENAI_API_KEY: '', BZZZ_OPENAI_API_KEY: '', ...env },
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr.on('data', (chunk) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
        exited.then(() => reject(new Error(`bzzz exited before printing ${pattern}: ${out}${err}`)));
      }),
  };
}
