// STUB: replaced by the owner of this command.
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { UsageError } from '../../src/index.js';

/** Registers `sealops rekey`. */
export function register(program: Command, _io: CliIo): void {
  program.command('rekey').description('not implemented yet').action(() => {
    throw new UsageError('failed to run rekey: not implemented yet');
  });
}
