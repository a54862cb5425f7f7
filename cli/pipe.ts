/**
 * A closed pipe (`sealops verify … | head -1`) ends the run quietly with exit 0, as Unix tools
 * do: the reader has what it wanted. Without this, Node reports the EPIPE of the next write as
 * an uncaught error with a stack trace and exit 1, which made a passing `verify` look failed.
 */
import { EXIT_OK } from '../src/errors.js';

/** Makes EPIPE on stdout or stderr end the process with {@link EXIT_OK}, silently. */
export function exitQuietlyOnClosedPipe(streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT_OK);
      throw err;
    });
  }
}

/**
 * Warnings the YAML library emits (an unresolved tag, a collection used as a key) are not the
 * user's business in Node's raw form: they are dropped. Any other process warning is printed
 * the way sealops prints warnings.
 */
export function printWarningsAsSealops(stderr: NodeJS.WritableStream = process.stderr): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    if (w.name === 'YAMLWarning' || /^Keys with collection values will be stringified/.test(w.message)) return;
    stderr.write(`sealops: warning: ${w.message}\n`);
  });
}
