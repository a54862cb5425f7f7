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
