/**
 * `sealops edit`: decrypts to a private temp file (0600 in a 0700 folder), runs $EDITOR, and
 * re-seals with the same data key, keeping the envelope of every unchanged value so the diff
 * shows only what was edited. The temp file is overwritten and removed on every path.
 */
import type { Command } from 'commander';
import { isUtf8 } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { detectSopsFormat, EnvironmentError, formatError, InputError, IoError, readInputFile, replaceFile, requireAgeIdentities, sealSops, UsageError, unsealSopsForEdit, describeError } from '../../src/index.js';
import { collect, warn, type CliIo } from '../io.js';
import { note } from '../output.js';
import { keysFor } from '../keys.js';

interface EditOptions {
  key?: string[];
}

function runEditor(editor: string, file: string, io: CliIo): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    // Through the shell, as git does, so EDITOR may carry arguments ("code --wait").
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'sealops-editor', file], { stdio: 'inherit', env: io.env });
    // Ctrl-C reaches the editor too; sealops waits for it, so the temp file is still wiped.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    const done = (): void => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      done();
      resolvePromise(signal ? 128 : (code ?? 1));
    });
  });
}

async function wipe(path: string): Promise<void> {
  try {
    const { size } = await stat(path);
    const fh = await open(path, 'r+');
    try {
      await fh.write(Buffer.alloc(size), 0, size, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // already gone
  }
}

/** Registers `sealops edit`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('edit')
    .description('edit a sealed file in $EDITOR; unchanged values keep their ciphertext')
    .argument('<FILE>', 'sealed file to edit')
    .option('-k, --key <KEY_FILE>', 'age identity file (repeatable); default: from the environment', collect)
    .action(async (file: string, opts: EditOptions) => {
      if (file === '-') throw new UsageError('failed to parse arguments: edit needs a FILE, not stdin');
      const input = readInputFile(file, io.cwd);
      const identities = requireAgeIdentities(await keysFor(opts.key, io));
      const format = detectSopsFormat(input.path, input.text);
      const { plaintext, context } = await unsealSopsForEdit(input.text, { identities, format, source: input.source });
      const editor = io.env.SEALOPS_EDITOR ?? io.env.VISUAL ?? io.env.EDITOR ?? 'vi';
      const dir = await mkdtemp(join(tmpdir(), 'sealops-edit-'));
      const tmp = join(dir, basename(file));
      try {
        await writeFile(tmp, plaintext, { mode: 0o600, flag: 'wx' });
        // Like sops, a file that no longer parses sends the user back to the editor with their
        // work intact; saving it unchanged gives up.
        let rejected: string | undefined;
        for (;;) {
          const status = await runEditor(editor, tmp, io).catch((err: unknown) => {
            throw new IoError(`failed to run editor "${editor}": ${describeError(err)}`, { cause: err });
          });
          // sh exits 127 when the command is not found: a missing tool, not a failed edit.
          if (status === 127) throw new EnvironmentError(`failed to run editor "${editor}": not found`, { hint: 'set SEALOPS_EDITOR, VISUAL or EDITOR to an installed editor' });
          if (status !== 0) throw new IoError(`failed to edit ${file}: the editor exited with status ${status}; nothing was changed`);
          const editedBytes = await readFile(tmp);
          // Decoding would turn such bytes into U+FFFD for good, and seal that.
          if (!isUtf8(editedBytes)) throw new InputError(`failed to edit ${file}: the edited text is not UTF-8; nothing was changed`);
          const edited = editedBytes.toString('utf8');
          if (edited === plaintext) {
            warn(io, `${file} was not changed`);
            return;
          }
          if (edited === rejected) throw new InputError(`failed to edit ${file}: the edited text still does not parse; nothing was changed`);
          let sealed: string;
          try {
            sealed = await sealSops(edited, { format, source: input.source, context });
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            io.stderr.write(formatError(err).text);
            warn(io, 'reopening the editor with your changes; save without changing anything to give up');
            rejected = edited;
            continue;
          }
          replaceFile(input.path ?? file, sealed);
          note(io, `sealed ${file}`);
          return;
        }
      } finally {
        await wipe(tmp);
        await rm(dir, { recursive: true, force: true });
      }
    });
}
