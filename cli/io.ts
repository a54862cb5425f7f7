/**
 * The CLI's view of the process: streams, environment and working directory, passed to every
 * command so tests can run the program in-process and capture its output; and the few
 * helpers every command shares to read FILE arguments and write results.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inputFromBytes, IoError, readInputFile, UsageError, writeInPlace, type BulkHelpers, type FileResult, type Input } from '../src/index.js';

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Set by a command whose result is not success but not an error either (scan findings). */
  exitCode: number;
  /** `-q`: only errors and data; no notes, warnings, progress or summaries. */
  quiet?: boolean;
  /** Bulk workers started by the entry point before the program loaded (for `--all`). */
  readonly bulk?: BulkHelpers;
}

/** Reads a whole stream into a buffer (stdin for `-` or no FILE). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Collector for repeatable options (`-r A -r B`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export { warn } from './output.js';

/** Checks the FILE list against `--in-place`: several files or stdin need the right mode. */
export function checkFiles(files: readonly string[], inPlace: boolean | undefined): (string | undefined)[] {
  if (inPlace && (files.length === 0 || files.includes('-'))) throw new UsageError('failed to parse arguments: --in-place needs FILE arguments, not stdin');
  if (!inPlace && files.length > 1) {
    throw new UsageError('failed to parse arguments: several FILEs need --in-place', { hint: 'or run the command once per file' });
  }
  return files.length === 0 ? [undefined] : [...files];
}

/** Reads each FILE, or stdin for `-` or none. */
export async function readInputs(files: readonly (string | undefined)[], io: CliIo): Promise<Input[]> {
  const out: Input[] = [];
  for (const file of files) out.push(file === undefined || file === '-' ? inputFromBytes(await readAll(io.stdin)) : readInputFile(file, io.cwd));
  return out;
}

/** Writes results: all in place (only after every input succeeded), or each to stdout; fleet SealedSecrets to their files. */
export function writeResults(results: readonly FileResult[], inPlace: boolean | undefined, io: CliIo): void {
  // The SealedSecrets of a fleet seal always go to their per-cluster files.
  writeInPlace(inPlace ? results : results.filter((r) => r.fleet));
  if (!inPlace) for (const r of results) if (!r.fleet) io.stdout.write(r.output);
}

/** Reads named files (key files, manifests) as text, relative to the working directory. */
export async function readNamed(io: CliIo, files: readonly string[]): Promise<{ source: string; text: string }[]> {
  return Promise.all(
    files.map(async (f) => {
      try {
        return { source: f, text: await readFile(resolve(io.cwd, f), 'utf8') };
      } catch (err) {
        throw new IoError(`failed to read ${f}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: err });
      }
    }),
  );
}
