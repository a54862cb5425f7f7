/**
 * `sealops rekey`: re-wraps each file's data key for the configured recipients (or -r). Values,
 * MAC and lastmodified stay; entries of recipients that stay are kept byte for byte.
 * `--all [PATH]` does it for every sealed file under PATH (cli/rewrap.ts).
 */
import type { Command } from 'commander';
import { rekeyInputs } from '../../src/index.js';
import { readInputs, writeResults, type CliIo } from '../io.js';
import { note } from '../output.js';
import { registerRewrap } from '../rewrap.js';

/** Registers `sealops rekey`. */
export function register(program: Command, io: CliIo): void {
  registerRewrap(program, io, {
    mode: 'rekey',
    description: 're-wrap data keys for the configured recipients (values untouched)',
    recipientHelp: 'recipients to seal for instead of the configured ones (repeatable)',
    async files(files, opts, keys) {
      const results = await rekeyInputs(await readInputs(files, io), { keys, ...(opts.recipient ? { recipients: opts.recipient } : {}), ...(opts.cluster ? { clusters: opts.cluster } : {}) }, { cwd: io.cwd });
      writeResults(results, true, io);
      for (const r of results) note(io, `rekeyed ${r.input.source}: ${r.before} → ${r.after} recipients`);
    },
  });
}
