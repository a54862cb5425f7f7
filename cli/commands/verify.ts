// STUB: replaced by the owner of this command.
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { UsageError } from '../../src/index.js';

/** Registers `sealops verify`. */
export function register(program: Command, _io: CliIo): void {
  program.command('verify').description('not implemented yet').action(() => {
    throw new UsageError('failed to run verify: not implemented yet');
  });
}
