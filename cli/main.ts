// The CLI run behind the entry point: the only place that touches process.exitCode and the
// process's streams.
import { EXIT_OK } from '../src/errors.js';
import type { BulkHelpers } from '../src/index.js';
import { exitQuietlyOnClosedPipe, printWarningsAsSealops } from './pipe.js';
import { runCli } from './program.js';

/**
 * Runs sealops on `args` (argv without node and script) and sets the exit status. `bulk`: bulk
 * workers the entry point started ahead for `rekey --all` or `rotate --all`.
 */
export async function main(args: string[], bulk?: BulkHelpers): Promise<void> {
  exitQuietlyOnClosedPipe();
  printWarningsAsSealops();
  process.exitCode = await runCli(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), exitCode: EXIT_OK, ...(bulk ? { bulk } : {}) });
}
