/**
 * `sealops textconv FILE`: the git diff driver. Prints FILE with keys and one marker per sealed
 * value (a short digest of its ciphertext), never a value; `sealops hook install` configures it.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { IoError, textconv } from '../../src/index.js';
import { readAll, type CliIo } from '../io.js';

/** Registers `sealops textconv`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('textconv')
    .description('git diff driver: print a sealed file with keys and change markers, never a value')
    .argument('[FILE]', 'file to print (git passes a temporary copy); - or none reads stdin')
    .action(async (file: string | undefined) => {
      const fromStdin = file === undefined || file === '-';
      const content = fromStdin
        ? await readAll(io.stdin)
        : await readFile(resolve(io.cwd, file)).catch((err: NodeJS.ErrnoException) => {
            throw new IoError(`failed to read ${file}: ${err.code ?? 'unreadable'}`, { cause: err });
          });
      io.stdout.write(textconv(content, fromStdin ? '' : file));
    });
}
