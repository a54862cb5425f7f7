/**
 * `sealops rotate`: a new data key for each file, every value re-encrypted; recipients stay
 * unless -r or --cluster names new ones. `--all [PATH]` does it for every sealed file under
 * PATH (cli/rewrap.ts).
 */
import type { Command } from 'commander';
import { rotateInputs } from '../../src/index.js';
import { readInputs, writeResults, type CliIo } from '../io.js';
import { note } from '../output.js';
import { registerRewrap } from '../rewrap.js';

/** Registers `sealops rotate`. */
export function register(program: Command, io: CliIo): void {
  registerRewrap(program, io, {
    mode: 'rotate',
    description: 'new data key for each file; every value re-encrypted',
    recipientHelp: 'seal for these recipients instead of the current ones (repeatable)',
    async files(files, opts, keys) {
      const results = await rotateInputs(await readInputs(files, io), { keys, ...(opts.recipient ? { recipients: opts.recipient } : {}), ...(opts.cluster ? { clusters: opts.cluster } : {}) }, { cwd: io.cwd });
      writeResults(results, true, io);
      for (const r of results) note(io, `rotated the data key of ${r.input.source}`);
    },
  });
}
